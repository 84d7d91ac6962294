// Virtual keys' cost on the request path: one proxy, called with its master key and with a virtual key that has
// models, an rpm and a tpm limit and a budget (so every check runs), in interleaved phases (master, key, key,
// master, ...). CPU-bound, as the proxy bench is: the proxy pinned to one CPU, the upstream (bench/child/upstream.mjs)
// and the load generator (autocannon, 50 connections, bench/child/client.mjs) to the other. Goal (#19): the virtual
// key serves >= 0.95x the master key's requests per second, judged on the median of each round's ratio (its two
// phases ran back to back, so a slow spell of the shared machine hits both). The proxy runs as it does by default
// (its request log on, SQLite, metadata); a second proxy with the log off is measured the same way and reported.
// Medians of the phases with their min-max spread, CPU per request, and the load average per round.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { positive } from './lib/env.mjs';
import { execOk } from './lib/proc.mjs';
import { cpuMs, pinned, pinPlan, pinSelf } from './lib/procfs.mjs';
import { startServer } from './lib/server-proc.mjs';
import { median } from './lib/stats.mjs';

export const title = 'virtual key vs master key (CPU-bound proxy, requests per second)';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./child/upstream.mjs', import.meta.url));
const CLIENT = fileURLToPath(new URL('./child/client.mjs', import.meta.url));
const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
const PHASE_S = positive('BENCH_KEYS_PHASE_S', quick ? 2 : 3);
const ROUNDS = positive('BENCH_KEYS_ROUNDS', quick ? 5 : 7);
const CONNECTIONS = 50;
const GOAL = 0.95;
const ALIAS = 'bench-classifier';
const MASTER = 'sk-bench-master-key-0123456789';
const BODY = JSON.stringify({ model: ALIAS, input: 'Hello, world!' });

const spread = (values, digits = 0) => `${Math.min(...values).toFixed(digits)}..${Math.max(...values).toFixed(digits)}`;
const load1 = () => loadavg()[0].toFixed(2);

async function generateKey(url) {
  const body = JSON.stringify({ key_alias: 'bench', models: [ALIAS], rpm_limit: 100_000_000, tpm_limit: 1_000_000_000, max_budget: 1_000_000 });
  const res = await fetch(`${url}/key/generate`, { method: 'POST', headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' }, body });
  if (!res.ok) throw new Error(`/key/generate answered ${res.status}: ${await res.text()}`);
  return (await res.json()).key;
}

/** One proxy measured with both keys; its log `on` or `off`. */
async function measure({ node, plan, dir, logMode }) {
  const state = join(dir, `state-${logMode}`);
  const env = { ...process.env, XDG_STATE_HOME: state, LLMPASS_MASTER_KEY: MASTER, LLMPASS_LOG: logMode };
  for (const name of ['HOST', 'PORT', 'DATABASE_URL', 'REDIS_URL']) delete env[name];
  const proxy = await startServer(`llmpass proxy (log ${logMode})`, pinned(plan.proxy, [node, BIN, 'proxy', '--port', '0', '--config', join(dir, 'config.yaml')]), { cwd: dir, env });
  const phase = async (key, seconds) => {
    const job = { mode: 'load', url: `${proxy.url}/vllm/classify`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: BODY, connections: CONNECTIONS, seconds };
    const before = cpuMs(proxy.pid);
    const result = JSON.parse((await execOk(pinned(plan.load, [node, CLIENT, JSON.stringify(job)]))).stdout);
    if (result.errors || result.non2xx) throw new Error(`log ${logMode}: ${result.errors} errors, ${result.non2xx} non-2xx answers under load`);
    return { rps: result.rps, cpuUs: ((cpuMs(proxy.pid) - before) * 1000) / result.requests };
  };
  const rps = { master: [], key: [] };
  const cpu = { master: [], key: [] };
  const loads = [load1()];
  try {
    const keys = { master: MASTER, key: await generateKey(proxy.url) };
    for (const who of ['master', 'key']) await phase(keys[who], 1); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const who of round % 2 ? ['key', 'master'] : ['master', 'key']) {
        const one = await phase(keys[who], PHASE_S);
        rps[who].push(one.rps);
        cpu[who].push(one.cpuUs);
      }
      loads.push(load1());
    }
  } finally {
    await proxy.close();
  }
  const ratios = rps.key.map((keyed, round) => keyed / rps.master[round]);
  return { rps, cpu, ratios, loads };
}

export async function run({ node = process.execPath, log = console.log }) {
  const plan = pinPlan();
  log(plan.pinned ? `pinned: each proxy on CPU ${plan.proxy}; upstream and load generator on CPU ${plan.load}` : `not pinned (${plan.why}): the figures are less telling`);
  const unpin = pinSelf(plan.load);
  const dir = mkdtempSync(join(tmpdir(), 'llmpass-bench-keys-'));
  const upstream = await startServer('upstream', pinned(plan.load, [node, UPSTREAM]));
  const results = {};
  try {
    writeFileSync(join(dir, 'config.yaml'), `model_list:\n  - model_name: ${ALIAS}\n    litellm_params:\n      model: hosted_vllm/bench/served-model\n      api_base: ${upstream.url}\n      api_key: sk-upstream-bench\n`);
    for (const logMode of (process.env.X_MODES ?? 'on,off').split(',')) results[logMode] = await measure({ node, plan, dir, logMode });
  } finally {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
    unpin();
  }
  for (const logMode of Object.keys(results)) {
    const { rps, cpu, ratios, loads } = results[logMode];
    log(`request log ${logMode}${logMode === 'on' ? ' (the default)' : ''}:`);
    for (const who of ['master', 'key']) {
      log(`  ${who === 'master' ? 'master key ' : 'virtual key'}: ${median(rps[who]).toFixed(0)} req/s (phases ${spread(rps[who])}); proxy CPU ${median(cpu[who]).toFixed(0)} µs/request (${spread(cpu[who])})`);
    }
    log(`  virtual key ÷ master key, median of the rounds' ratios: ${median(ratios).toFixed(2)}x (${spread(ratios, 2)}); load average (1 min) per round: ${loads.join(' ')}`);
  }
  const ratio = median((results.on ?? results.off).ratios);
  log(`${ROUNDS} interleaved rounds of ${PHASE_S} s per key, ${CONNECTIONS} connections`);
  log(`goal: virtual key >= ${GOAL}x the master key's req/s, the proxy as it runs by default: ${ratio.toFixed(2)}x (${ratio >= GOAL ? 'met' : 'missed'}); with the log off ${results.off ? median(results.off.ratios).toFixed(2) : '-'}x`);
  return { ok: true, ratio };
}
