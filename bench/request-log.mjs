// The request log's cost: the proxy with its log off, on in SQLite (metadata, the default) and on in PostgreSQL
// (a throwaway cluster, when PostgreSQL is installed), under the same load; goals: SQLite >= 0.9x the requests per
// second of logging off and p99 <= 1.2x, PostgreSQL >= 0.85x. What it costs `llmpass call` is bench/call-log.mjs. Each figure is the median of interleaved rounds
// (the order rotates, so a slow spell hits every mode) with its spread; the proxy's CPU time per request is printed
// too, steadier than req/s on a shared machine. BENCH_PROFILE=DIR writes each proxy's --cpu-prof there and prints
// its top self time.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topSelfTime } from './lib/cpuprofile.mjs';
import { ALIAS } from './lib/fixture.mjs';
import { cpuMs } from './lib/procfs.mjs';
import { startServer } from './lib/server-proc.mjs';
import { median } from './lib/stats.mjs';

export const title = 'request log off / SQLite / PostgreSQL (proxy throughput, p99, CPU per request)';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
const PHASE_MS = quick ? 2_000 : 4_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS) || (quick ? 5 : 7);
const CONCURRENCY = 16;
const BODY = JSON.stringify({ model: ALIAS, input: 'Hello, world!' });
const GOALS = { sqlite: { rps: 0.9, p99: 1.2 }, postgres: { rps: 0.85 } };

function post(url, agent) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/vllm/classify`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end(BODY);
  });
}

/** Requests per second, p99 and the proxy's CPU ms per request over one phase, CONCURRENCY requests in flight. */
async function load(proxy) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = [];
  const cpuBefore = cpuMs(proxy.pid);
  const end = performance.now() + PHASE_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        await post(proxy.url, agent);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const cpuAfter = cpuMs(proxy.pid);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / (PHASE_MS / 1000),
    p99: latencies[Math.floor(latencies.length * 0.99)],
    cpu: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / latencies.length,
  };
}

const spread = (values, digits = 1) => `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
const load1 = () => loadavg().map((n) => n.toFixed(1)).join(' ');

/** A throwaway PostgreSQL cluster, or the reason there is none. */
async function postgres() {
  try {
    const { postgresInstalled, startPostgres, POSTGRES_MISSING } = await import('../test/support/postgres.ts');
    if (!postgresInstalled()) return { missing: POSTGRES_MISSING };
    return { server: await startPostgres() };
  } catch (error) {
    return { missing: error.message };
  }
}

async function proxyRounds({ fixture, node, log, state }) {
  const pg = await postgres();
  if (pg.missing) log(`PostgreSQL skipped: ${pg.missing}`);
  const modes = pg.server ? ['off', 'sqlite', 'postgres'] : ['off', 'sqlite'];
  const profileDir = process.env.BENCH_PROFILE;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const proxies = {};
  try {
    for (const mode of modes) {
      const env = { ...process.env, XDG_STATE_HOME: state, LLMPASS_LOG: mode === 'off' ? 'off' : 'on' };
      delete env.HOST;
      delete env.PORT;
      delete env.DATABASE_URL;
      if (mode === 'postgres') env.DATABASE_URL = pg.server.url;
      const argv = [node, ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), BIN, 'proxy', '--port', '0', '--config', fixture.config];
      proxies[mode] = await startServer(`llmpass proxy (log ${mode})`, argv, { cwd: fixture.dir, env });
    }
    const results = Object.fromEntries(modes.map((mode) => [mode, []]));
    const loads = [load1()];
    for (const mode of modes) await load(proxies[mode]); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = modes.map((_, i) => modes[(i + round) % modes.length]);
      for (const mode of order) results[mode].push(await load(proxies[mode]));
      loads.push(load1());
    }
    log(`${ROUNDS} interleaved rounds of ${PHASE_MS / 1000} s per mode, ${CONCURRENCY} in flight; load average before and after each round: ${loads.join(' | ')}`);
    const figure = (mode, name) => median(results[mode].map((r) => r[name]));
    for (const mode of modes) {
      const of = (name) => results[mode].map((r) => r[name]);
      const cpu = of('cpu').every((v) => v !== undefined) ? `, proxy CPU ${(figure(mode, 'cpu') * 1000).toFixed(0)} us/request (${spread(of('cpu').map((v) => v * 1000), 0)})` : '';
      log(`proxy, log ${mode}: ${figure(mode, 'rps').toFixed(0)} req/s (${spread(of('rps'), 0)}), p99 ${figure(mode, 'p99').toFixed(1)} ms (${spread(of('p99'))})${cpu}`);
    }
    const goals = {};
    for (const mode of modes.filter((m) => m !== 'off')) {
      const rps = figure(mode, 'rps') / figure('off', 'rps');
      const p99 = figure(mode, 'p99') / figure('off', 'p99');
      const goal = GOALS[mode];
      goals[mode] = { rps, p99 };
      const parts = [`req/s ${rps.toFixed(2)}x (goal >= ${goal.rps}x: ${rps >= goal.rps ? 'met' : 'missed'})`];
      parts.push(goal.p99 ? `p99 ${p99.toFixed(2)}x (goal <= ${goal.p99}x: ${p99 <= goal.p99 ? 'met' : 'missed'})` : `p99 ${p99.toFixed(2)}x`);
      log(`goal: proxy with the ${mode === 'sqlite' ? 'SQLite' : 'PostgreSQL'} log (metadata): ${parts.join('; ')}`);
    }
    return goals;
  } finally {
    await Promise.all(Object.values(proxies).map((p) => p.close()));
    await pg.server?.remove();
    if (profileDir) {
      for (const mode of modes) {
        // The proxy restarts itself in place (same pid) with --expose-gc: its last profile is the one that served.
        const file = readdirSync(profileDir).filter((f) => f.includes(`.${proxies[mode]?.pid}.`) && f.endsWith('.cpuprofile')).sort().at(-1);
        if (!file) continue;
        const { busyMs, top } = await topSelfTime(join(profileDir, file), 15);
        log(`\nproxy, log ${mode}: top self time (${(busyMs / 1000).toFixed(1)} s busy), ${join(profileDir, file)}`);
        for (const e of top) log(`  ${e.ms.toFixed(0).padStart(6)} ms ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.name}  ${e.where}`);
      }
    }
  }
}

export async function run({ fixture, node = process.execPath, log = console.log }) {
  const state = mkdtempSync(join(tmpdir(), 'llmpass-bench-log-'));
  try {
    const goals = await proxyRounds({ fixture, node, log, state });
    return { ok: true, goals };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
