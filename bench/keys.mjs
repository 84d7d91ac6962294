// Virtual keys' cost on the request path: one proxy, called with its master key and with a virtual key that has
// models, an rpm and a tpm limit and a budget (so every check runs), in interleaved phases (master, key, key,
// master, ...). Goal: the virtual key serves >= 0.95x the master key's requests per second, judged on the median of
// each round's ratio (its two phases ran back to back, so a slow spell of the shared machine hits both). Medians of
// the phases with their min-max spread, and the load average per round.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { positive } from './lib/env.mjs';
import { ALIAS } from './lib/fixture.mjs';
import { startServer } from './lib/server-proc.mjs';
import { median } from './lib/stats.mjs';

export const title = 'virtual key vs master key (proxy requests per second)';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
const PHASE_MS = positive('BENCH_KEYS_PHASE_MS', quick ? 2_000 : 3_000);
const ROUNDS = positive('BENCH_KEYS_ROUNDS', quick ? 5 : 9);
const CONCURRENCY = 16;
const GOAL = 0.95;
const MASTER = 'sk-bench-master-key-0123456789';
const BODY = JSON.stringify({ model: ALIAS, input: 'Hello, world!' });

function post(url, agent, key) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), authorization: `Bearer ${key}` };
    const req = request(`${url}/vllm/classify`, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end(BODY);
  });
}

/** The process's CPU time in ms (user + system, from /proc: Linux only; undefined elsewhere). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Requests per second over one phase, CONCURRENCY requests in flight. */
async function load(url, key) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  const end = performance.now() + PHASE_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await post(url, agent, key);
        done++;
      }
    }),
  );
  agent.destroy();
  return { rps: done / (PHASE_MS / 1000), done };
}

async function generateKey(url) {
  const body = JSON.stringify({ key_alias: 'bench', models: [ALIAS], rpm_limit: 100_000_000, tpm_limit: 1_000_000_000, max_budget: 1_000_000 });
  const res = await fetch(`${url}/key/generate`, { method: 'POST', headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' }, body });
  if (!res.ok) throw new Error(`/key/generate answered ${res.status}: ${await res.text()}`);
  return (await res.json()).key;
}

const spread = (values) => `${Math.min(...values).toFixed(0)}..${Math.max(...values).toFixed(0)}`;
const load1 = () => loadavg()[0].toFixed(2);

export async function run({ fixture, node = process.execPath, log = console.log }) {
  const state = mkdtempSync(join(tmpdir(), 'llmpass-bench-keys-'));
  const env = { ...process.env, XDG_STATE_HOME: state, LLMPASS_MASTER_KEY: MASTER, LLMPASS_LOG: 'off' };
  for (const name of ['HOST', 'PORT', 'DATABASE_URL', 'REDIS_URL']) delete env[name];
  const proxy = await startServer('llmpass proxy (keys)', [node, BIN, 'proxy', '--port', '0', '--config', fixture.config], { cwd: fixture.dir, env });
  const rps = { master: [], key: [] };
  // The proxy's CPU per request: steadier than req/s on a shared machine (another process's burst costs time, not CPU).
  const cpu = { master: [], key: [] };
  const loads = [load1()];
  try {
    const keys = { master: MASTER, key: await generateKey(proxy.url) };
    for (const who of ['master', 'key']) await load(proxy.url, keys[who]); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const who of round % 2 ? ['key', 'master'] : ['master', 'key']) {
        const before = cpuMs(proxy.pid);
        const phase = await load(proxy.url, keys[who]);
        const after = cpuMs(proxy.pid);
        rps[who].push(phase.rps);
        if (before !== undefined && after !== undefined) cpu[who].push(((after - before) * 1000) / phase.done);
      }
      loads.push(load1());
    }
  } finally {
    await proxy.close();
    rmSync(state, { recursive: true, force: true });
  }
  for (const who of ['master', 'key']) {
    const perCall = cpu[who].length ? `; proxy CPU ${median(cpu[who]).toFixed(0)} µs/request (${spread(cpu[who])})` : '';
    log(`${who === 'master' ? 'master key ' : 'virtual key'}: ${median(rps[who]).toFixed(0)} req/s (phases ${spread(rps[who])})${perCall}`);
  }
  const ratios = rps.key.map((keyed, round) => keyed / rps.master[round]);
  const ratio = median(ratios);
  log(`${ROUNDS} interleaved rounds of ${PHASE_MS / 1000} s, ${CONCURRENCY} in flight; load average (1 min) per round: ${loads.join(' ')}`);
  log(`ratio of the medians ${(median(rps.key) / median(rps.master)).toFixed(2)}x; per round ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
  log(`goal: virtual key >= ${GOAL}x the master key's req/s (median of the rounds' ratios): ${ratio.toFixed(2)}x, spread ${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)} (${ratio >= GOAL ? 'met' : 'missed'})`);
  return { ok: true, ratio };
}
