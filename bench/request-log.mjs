// The request log's cost to the proxy: the SQLite log on (metadata) against the same proxy with it off (goal:
// >= 0.9x the requests per second, p99 <= 1.2x). Phases alternate so a slow spell hits both. What it costs
// `llmpass call` is bench/call-log.mjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALIAS } from './lib/fixture.mjs';
import { startServer } from './lib/server-proc.mjs';
import { median } from './lib/stats.mjs';

export const title = 'request log on vs off (proxy throughput and p99)';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
const PHASE_MS = quick ? 2_000 : 5_000;
const ROUNDS = quick ? 2 : 3;
const CONCURRENCY = 16;
const BODY = JSON.stringify({ model: ALIAS, input: 'Hello, world!' });

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

/** Requests per second and latencies over one phase, CONCURRENCY requests in flight. */
async function load(url) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = [];
  const end = performance.now() + PHASE_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        await post(url, agent);
        latencies.push(performance.now() - start);
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / (PHASE_MS / 1000), p99: latencies[Math.floor(latencies.length * 0.99)] };
}

const spread = (values) => `${Math.min(...values).toFixed(1)}..${Math.max(...values).toFixed(1)}`;

export async function run({ fixture, node = process.execPath, log = console.log }) {
  const state = mkdtempSync(join(tmpdir(), 'llmpass-bench-log-'));
  try {
    const proxies = {};
    for (const mode of ['off', 'on']) {
      const env = { ...process.env, XDG_STATE_HOME: state, LLMPASS_LOG: mode };
      delete env.HOST;
      delete env.PORT;
      delete env.DATABASE_URL;
      proxies[mode] = await startServer(`llmpass proxy (log ${mode})`, [node, BIN, 'proxy', '--port', '0', '--config', fixture.config], { cwd: fixture.dir, env });
    }
    const results = { off: [], on: [] };
    try {
      for (const mode of ['off', 'on']) await load(proxies[mode].url); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of round % 2 ? ['on', 'off'] : ['off', 'on']) results[mode].push(await load(proxies[mode].url));
      }
    } finally {
      await Promise.all(Object.values(proxies).map((p) => p.close()));
    }
    const rps = (mode) => median(results[mode].map((r) => r.rps));
    const p99 = (mode) => median(results[mode].map((r) => r.p99));
    const rpsRatio = rps('on') / rps('off');
    const p99Ratio = p99('on') / p99('off');
    for (const mode of ['off', 'on']) {
      log(`proxy, log ${mode}: ${rps(mode).toFixed(0)} req/s (phases ${spread(results[mode].map((r) => r.rps))}), p99 ${p99(mode).toFixed(1)} ms (${spread(results[mode].map((r) => r.p99))})`);
    }
    log(`goal: proxy with the SQLite log >= 0.9x req/s: ${rpsRatio.toFixed(2)}x (${rpsRatio >= 0.9 ? 'PASS' : 'MISS'}); p99 <= 1.2x: ${p99Ratio.toFixed(2)}x (${p99Ratio <= 1.2 ? 'PASS' : 'MISS'})`);

    return { ok: true, rpsRatio, p99Ratio };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
