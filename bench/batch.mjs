// Batch calls: 10,000 payloads (JSON Lines) through `llmpass call ALIAS classify --jsonl`, against
//   - a shell `while read` loop calling `llmpass call` once per line (a sample of it timed, then extrapolated), and
//   - a hand-written Node script with undici and the same concurrency (bench/child/batch-baseline.mjs).
// First against the demo server (test/fixtures/vllm-server.ts, in the runner's process, as the other modules use
// it); then, for reference, against a minimal upstream in a process of its own (bench/child/upstream.mjs), where
// the upstream costs next to nothing and the client's own cost per request is what shows.
// Env: BENCH_QUICK=1 (2,000 payloads, a 10-line loop sample, one round), BENCH_BATCH_LINES, BENCH_BATCH_CONCURRENCY.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALIAS, SERVED_MODEL } from './lib/fixture.mjs';
import { startServer } from './lib/server-proc.mjs';
import { formatTable } from './lib/table.mjs';

export const title = 'batch calls: --jsonl vs a `while read` loop and a hand-written undici script';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('./child/batch-baseline.mjs', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./child/upstream.mjs', import.meta.url));
const GOALS = { vsScript: 1.2, vsLoop: 100 };
/** GNU time, when there, reports each run's CPU time and peak RSS: steadier than wall time on a busy machine. */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const WORDS = ['Hello, world!', 'Bonjour tout le monde', 'Hallo Welt', 'Hola mundo', 'Ciao mondo', 'Olá mundo', 'Hej världen'];

function positive(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!(n > 0) || !Number.isInteger(n)) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}

function settings() {
  const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
  return {
    quick,
    lines: positive('BENCH_BATCH_LINES', quick ? 2_000 : 10_000),
    concurrency: positive('BENCH_BATCH_CONCURRENCY', 16),
    loopSample: quick ? 10 : 50,
    rounds: quick ? 1 : 3,
  };
}

/**
 * Runs `argv` with stdin read from `input` and stdout counted, not kept: { ms, code, lines, last, stderr }, plus
 * cpuMs and rssMb of the command itself when GNU time is there.
 */
async function timed(argv, { cwd, input, shell = false }) {
  const handle = await open(input, 'r');
  const usage = TIME && !shell ? join(cwd, `.usage-${process.pid}`) : undefined;
  if (usage) argv = [TIME, '-f', '%U %S %M', '-o', usage, ...argv];
  // The calls' request log goes in the bench's directory, never into the user's.
  const env = { ...process.env, XDG_STATE_HOME: join(cwd, 'state') };
  try {
    const result = await new Promise((resolve, reject) => {
      const start = performance.now();
      const child = shell
        ? spawn('/bin/sh', ['-c', argv], { cwd, env, stdio: [handle.fd, 'pipe', 'pipe'] })
        : spawn(argv[0], argv.slice(1), { cwd, env, stdio: [handle.fd, 'pipe', 'pipe'] });
      let lines = 0;
      let last = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
        last = (last + chunk.toString('utf8')).slice(-4000);
      });
      child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
      child.on('error', reject);
      child.on('close', (code) => resolve({ ms: performance.now() - start, code, lines, last, stderr: stderr.trim() }));
    });
    if (usage) {
      const [user, system, rssKb] = (await readFile(usage, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
      Object.assign(result, { cpuMs: (user + system) * 1000, rssMb: rssKb / 1024 });
    }
    return result;
  } finally {
    await handle.close();
    if (usage) await rm(usage, { force: true });
  }
}

async function checked(name, argv, options, expected) {
  const r = await timed(argv, options);
  if (r.code !== 0 || r.lines !== expected) {
    throw new Error(`${name}: exit ${r.code}, ${r.lines} of ${expected} lines\n${r.stderr}\n${r.last}`);
  }
  if (!r.last.includes('"label"')) throw new Error(`${name}: unexpected output: ${r.last}`);
  return r;
}

/** Best of the rounds (noise on a shared machine only slows a run down), rounds alternating their order. */
async function compare(contenders, rounds) {
  const runs = Object.fromEntries(contenders.map((c) => [c.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of round % 2 ? [...contenders].reverse() : contenders) runs[c.id].push(await c.run());
  }
  const best = (list, key) => (list[0][key] === undefined ? undefined : Math.min(...list.map((r) => r[key])));
  return Object.fromEntries(
    contenders.map((c) => [c.id, { best: best(runs[c.id], 'ms'), cpuMs: best(runs[c.id], 'cpuMs'), rssMb: best(runs[c.id], 'rssMb'), all: runs[c.id].map((r) => r.ms) }]),
  );
}

async function workload({ name, dir, url, alias, served, s, withLoop, log }) {
  const input = join(dir, 'payloads.jsonl');
  const sample = join(dir, 'sample.jsonl');
  const node = process.execPath;
  const llmpass = [node, BIN, 'call', alias, 'classify', '--jsonl', '--concurrency', String(s.concurrency)];
  const script = [node, BASELINE, `${url}/classify`, served, String(s.concurrency)];
  const contenders = [
    { id: 'llmpass', run: () => checked('llmpass --jsonl', llmpass, { cwd: dir, input }, s.lines) },
    { id: 'script', run: () => checked('undici script', script, { cwd: dir, input }, s.lines) },
  ];
  // Warm-up (compile cache, connections, the server's JIT), then the timed rounds.
  for (const c of contenders) await c.run();
  const results = await compare(contenders, s.rounds);
  let loop;
  if (withLoop) {
    const call = [node, BIN, 'call', alias, 'classify'].map((w) => `'${w}'`).join(' ');
    // As a person writes it: one call per line, a newline after each body to keep the output JSON Lines.
    const line = `while IFS= read -r line; do ${call} --json "$line" || exit 1; echo; done`;
    const r = await checked('while read loop', line, { cwd: dir, input: sample, shell: true }, s.loopSample);
    loop = { sampleMs: r.ms, perLineMs: r.ms / s.loopSample, extrapolatedMs: (r.ms / s.loopSample) * s.lines };
  }
  const rate = (ms) => (s.lines / (ms / 1000)).toFixed(0);
  const cpu = (r) => (r.cpuMs === undefined ? '-' : ((r.cpuMs * 1000) / s.lines).toFixed(0));
  const rss = (r) => (r.rssMb === undefined ? '-' : r.rssMb.toFixed(0));
  const rows = [
    ['llmpass call --jsonl', (results.llmpass.best / 1000).toFixed(2), rate(results.llmpass.best), '1.00x', cpu(results.llmpass), rss(results.llmpass)],
    ['undici script', (results.script.best / 1000).toFixed(2), rate(results.script.best), `${(results.script.best / results.llmpass.best).toFixed(2)}x`, cpu(results.script), rss(results.script)],
  ];
  if (loop) rows.push([`while read loop (${s.loopSample} timed)`, `~${(loop.extrapolatedMs / 1000).toFixed(0)}`, rate(loop.extrapolatedMs), `${(loop.extrapolatedMs / results.llmpass.best).toFixed(0)}x`, '-', '-']);
  log(`${name}: ${s.lines.toLocaleString('en-US')} payloads, --concurrency ${s.concurrency}; seconds per run: ` +
    `llmpass ${results.llmpass.all.map((ms) => (ms / 1000).toFixed(2)).join('/')}, script ${results.script.all.map((ms) => (ms / 1000).toFixed(2)).join('/')}`);
  log(formatTable(
    [
      { title: 'command' },
      { title: 'seconds', align: 'right' },
      { title: 'lines/s', align: 'right' },
      { title: 'time vs llmpass', align: 'right' },
      { title: 'client CPU us/line', align: 'right' },
      { title: 'peak RSS MB', align: 'right' },
    ],
    rows,
  ));
  return { llmpassMs: results.llmpass.best, scriptMs: results.script.best, llmpassCpuMs: results.llmpass.cpuMs, scriptCpuMs: results.script.cpuMs, loop };
}

async function writePayloads(dir, s) {
  let text = '';
  for (let i = 0; i < s.lines; i++) text += `${JSON.stringify({ input: `${WORDS[i % WORDS.length]} #${i}` })}\n`;
  await writeFile(join(dir, 'payloads.jsonl'), text);
  await writeFile(join(dir, 'sample.jsonl'), text.split('\n').slice(0, s.loopSample).join('\n') + '\n');
}

export async function run({ fixture, log = console.log }) {
  const s = settings();
  await writePayloads(fixture.dir, s);
  const demo = await workload({ name: 'demo server', dir: fixture.dir, url: fixture.url, alias: ALIAS, served: SERVED_MODEL, s, withLoop: true, log });
  const throughputRatio = demo.scriptMs / demo.llmpassMs;
  const loopRatio = demo.loop.extrapolatedMs / demo.llmpassMs;
  const passScript = demo.llmpassMs <= demo.scriptMs * GOALS.vsScript;
  const passLoop = loopRatio >= GOALS.vsLoop;
  log(`goal: throughput within ${GOALS.vsScript}x of the undici script: llmpass takes ${(demo.llmpassMs / demo.scriptMs).toFixed(2)}x its time (${passScript ? 'PASS' : 'MISS'})`);
  log(`goal: two orders of magnitude ahead of the loop: ${loopRatio.toFixed(0)}x (${passLoop ? 'PASS' : 'MISS'})`);

  // Reference: an upstream that costs next to nothing, so what shows is each client's own cost per request.
  log('');
  const upstream = await startServer('upstream', [process.execPath, UPSTREAM]);
  try {
    const config = `model_list:\n  - model_name: minimal\n    litellm_params:\n      model: hosted_vllm/${SERVED_MODEL}\n      api_base: ${upstream.url}\n`;
    const dir = join(fixture.dir, 'minimal');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'llmpass.config.yaml'), config);
    await writePayloads(dir, s);
    const minimal = await workload({ name: 'minimal upstream (reference, client-bound)', dir, url: upstream.url, alias: 'minimal', served: SERVED_MODEL, s, withLoop: false, log });
    log(`reference: against a minimal upstream llmpass takes ${(minimal.llmpassMs / minimal.scriptMs).toFixed(2)}x the script's time (no goal: this measures the cost of the Router path per request)`);
    return { ok: true, throughputRatio, loopRatio, passScript, passLoop, minimal };
  } finally {
    await upstream.close();
  }
}
