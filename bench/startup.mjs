// Start-up and one-shot call: how much a `llmpass call` costs over the least a Node process needs for the same
// request (a bare global fetch), next to curl, bare Node and llmpass's own start-up (--help, --version). Then which
// npm packages --help and the call load: neither should load the undici package (Node's fetch is enough one-shot).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALIAS, SERVED_MODEL } from './lib/fixture.mjs';
import { probeModules } from './lib/modules.mjs';
import { execOk } from './lib/proc.mjs';
import { median } from './lib/stats.mjs';
import { formatTable } from './lib/table.mjs';

export const title = 'start-up and one-shot call';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const BARE_FETCH = fileURLToPath(new URL('./child/bare-fetch.mjs', import.meta.url));
// The goals (issue #21), each a ratio to the bare fetch measured in the same interleaved rounds.
const GOALS = [
  { id: 'call', max: 1.3 },
  { id: 'help', max: 1.0 },
];
const PAIRED_ROUNDS = Number(process.env.BENCH_STARTUP_PAIRS ?? 40);
const INPUT = 'Hello, world!';

const hasCurl = () => spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;

function commands(url, node) {
  const body = JSON.stringify({ model: SERVED_MODEL, input: INPUT });
  const classify = `${url}/classify`;
  const list = [
    { id: 'fetch', name: 'node bare-fetch.mjs (baseline)', argv: [node, BARE_FETCH, classify, body], check: classified },
    ...(hasCurl()
      ? [{ id: 'curl', name: 'curl -s -X POST /classify', argv: ['curl', '-s', '-X', 'POST', classify, '-H', 'content-type: application/json', '-d', body], check: classified }]
      : []),
    { id: 'call', name: `llmpass call ${ALIAS} classify`, argv: [node, BIN, 'call', ALIAS, 'classify', '--json', JSON.stringify({ input: INPUT })], check: classified },
    // Not in the table: beside call in the rounds, to show what the request log (on by default) adds to it.
    { id: 'nolog', name: 'llmpass call ... --no-log', argv: [node, BIN, 'call', ALIAS, 'classify', '--json', JSON.stringify({ input: INPUT }), '--no-log'], check: classified, table: false },
    { id: 'help', name: 'llmpass --help', argv: [node, BIN, '--help'], check: (out) => out.includes('call') },
    { id: 'version', name: 'llmpass --version', argv: [node, BIN, '--version'], check: (out) => out.includes(packageVersion()) },
    { id: 'node', name: 'node -e 0', argv: [node, '-e', '0'], check: () => true },
  ];
  return list;
}

function classified(out) {
  try {
    return JSON.parse(out).data?.[0]?.label === 'en';
  } catch {
    return false;
  }
}

const packageVersion = () => JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** One run of each command, output checked: a bench of a failing command would time its error path. */
async function verify(list, cwd) {
  for (const { name, argv, check } of list) {
    const { stdout } = await execOk(argv, { cwd });
    if (!check(stdout)) throw new Error(`${name}: unexpected output:\n${stdout.slice(0, 500)}`);
  }
}

const fmt = (ms) => ms.toFixed(1);

async function undiciReport(node, cwd, log) {
  // --help as oclif renders it (its first run, or any change to what its text depends on): without the compile
  // cache there is no kept text (src/cli/help-cache.ts), and the probe sees everything the rendering loads.
  const help = await probeModules([BIN, '--help'], { cwd, node, env: { NODE_DISABLE_COMPILE_CACHE: '1' } });
  const call = await probeModules([BIN, 'call', ALIAS, 'classify', '--json', JSON.stringify({ input: INPUT })], { cwd, node });
  // The probe itself must see undici when it is there, resolved or bundled; else its "no" means nothing.
  const control = await probeModules(['--input-type=module', '-e', "await import('undici')"], { cwd: ROOT, node });
  const bundleSeen = help.bundled.includes('@oclif/core');
  const probeOk = control.undici && bundleSeen;
  const yesNo = (r) => (r.undici ? 'yes' : 'no');
  log(`--help (rendered by oclif) loads undici: ${yesNo(help)}`);
  log(`call loads undici: ${yesNo(call)}`);
  log(
    `  (npm undici package, resolved or bundled into a loaded dist chunk; --help: ${help.packages.length} resolved + ` +
      `${help.bundled.length} bundled packages, call: ${call.packages.length} + ${call.bundled.length})`,
  );
  log(
    probeOk
      ? '  probe self-check: ok (a plain import of undici is detected; @oclif/core is seen inside --help\'s chunks)'
      : `  probe self-check: FAILED (undici import detected: ${control.undici}, bundled @oclif/core seen: ${bundleSeen})`,
  );
  return { help: help.undici, call: call.undici, probeOk };
}

/**
 * The goals' ratios from the commands run in interleaved rounds (fetch, call, help; then call, help, fetch; ...):
 * the timer runs each command's runs in one block, and on a shared machine a slow spell during one block skews a
 * ratio of blocks. Each round gives each command's time over the fetch's of the same round.
 */
async function interleaved(list, cwd) {
  const ids = ['fetch', ...GOALS.map((g) => g.id), 'nolog'];
  const argv = Object.fromEntries(ids.map((id) => [id, list.find((c) => c.id === id).argv]));
  for (let i = 0; i < 3; i++) for (const id of ids) await execOk(argv[id], { cwd, collect: false });
  const times = Object.fromEntries(ids.map((id) => [id, []]));
  for (let round = 0; round < PAIRED_ROUNDS; round++) {
    const order = ids.map((_, i) => ids[(i + round) % ids.length]);
    for (const id of order) times[id].push((await execOk(argv[id], { cwd, collect: false })).ms);
  }
  return times;
}

const spread = (values) => `${fmt(Math.min(...values))}-${fmt(Math.max(...values))}`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

export async function run({ fixture, timer, node = process.execPath, log = console.log }) {
  // The calls' request log goes to the fixture's directory, not the user's (~/.local/state/llmpass).
  const state = process.env.XDG_STATE_HOME;
  process.env.XDG_STATE_HOME = join(fixture.dir, 'state');
  try {
    return await measure({ fixture, timer, node, log });
  } finally {
    if (state === undefined) delete process.env.XDG_STATE_HOME;
    else process.env.XDG_STATE_HOME = state;
  }
}

async function measure({ fixture, timer, node, log }) {
  const cwd = fixture.dir;
  const list = commands(fixture.url, node);
  if (!list.some((c) => c.id === 'curl')) log('curl not found: its row is skipped');
  await verify(list, cwd);

  const table = list.filter((c) => c.table !== false);
  const results = await timer.measure(table, { cwd });
  const byId = Object.fromEntries(table.map((c, i) => [c.id, results[i]]));
  const base = byId.fetch.median;
  log(
    formatTable(
      [{ title: 'command' }, { title: 'median ms', align: 'right' }, { title: '± sd', align: 'right' }, { title: 'vs fetch', align: 'right' }],
      results.map((r) => [r.name, fmt(r.median), fmt(r.stddev), `${(r.median / base).toFixed(2)}x`]),
    ),
  );
  const loadBefore = load();
  const times = await interleaved(list, cwd);
  log(`interleaved rounds: ${PAIRED_ROUNDS}; load average ${loadBefore} before, ${load()} after (1, 5, 15 min; ${cpus().length} CPUs)`);
  log(`  bare fetch: median ${fmt(median(times.fetch))} ms (${spread(times.fetch)})`);
  const noLog = times.nolog.map((ms, i) => ms / times.fetch[i]);
  log(`  call --no-log (no request log; not a goal): ${median(noLog).toFixed(2)}x (${Math.min(...noLog).toFixed(2)}-${Math.max(...noLog).toFixed(2)}), median ${fmt(median(times.nolog))} ms (${spread(times.nolog)})`);
  const goals = GOALS.map(({ id, max }) => {
    const ratios = times[id].map((ms, i) => ms / times.fetch[i]);
    const ratio = median(ratios);
    const met = ratio <= max;
    const name = list.find((c) => c.id === id).name;
    log(
      `goal: ${name} <= ${max.toFixed(1)}x bare fetch: ${ratio.toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}): ` +
        `${met ? 'met' : 'MISSED'}; median ${fmt(median(times[id]))} ms (${spread(times[id])})`,
    );
    return { id, ratio, max, met };
  });
  log('  (each ratio: the median of the rounds\' own ratios, with their min-max; the table\'s blocks alone: call ' +
    `${(byId.call.median / base).toFixed(2)}x, --help ${(byId.help.median / base).toFixed(2)}x)`);
  const ratio = goals[0].ratio;
  const pass = goals.every((g) => g.met);
  log('');
  const undici = await undiciReport(node, cwd, log);
  return { results, ratio, goals, pass, undici, ok: undici.probeOk };
}
