// What sharing routing state through Redis costs the proxy: two `llmpass proxy` processes with the same model list,
// one keeping cooldowns, rpm/tpm windows and in-flight counts in memory, the other in a real redis-server. The
// deployment has rpm and tpm limits (too high to reach), so every call takes a slot in the rpm window and reports
// its tokens (batched): the work Redis adds. Pinned as bench/proxy.mjs pins: the proxies (one loaded at a time) on
// one CPU; upstream, load generator and redis-server on the other (a real Redis runs on a host of its own, so the
// proxy's core is the proxy's alone). Each figure is the median of ROUNDS interleaved rounds (memory, redis,
// memory, redis...) with its min–max spread, and the load average printed before and after. Then the two proxies
// side by side on their CPU, loaded at the same time (bench/lib/duel.mjs): the ratio of the requests they answer in
// the same seconds, steadier than rounds one after the other; the goal holds only when both figures meet it.
// Env: BENCH_QUICK=1 (3 s per run), BENCH_REDIS_SECONDS, BENCH_REDIS_ROUNDS (default 5, at least 5 for a quotable
// figure), BENCH_PROXY_CONNECTIONS (default 50), REDIS_SERVER (default redis-server on PATH; skipped without one).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { duel } from './lib/duel.mjs';
import { execOk } from './lib/proc.mjs';
import { showSpread, spread } from './lib/spread.mjs';
import { cpuMs, pinned, pinPlan } from './lib/procfs.mjs';
import { startServer } from './lib/server-proc.mjs';
import { median } from './lib/stats.mjs';
import { formatTable } from './lib/table.mjs';
import { CLASSIFY_ANSWER } from './lib/upstream-spec.mjs';

export const title = 'the proxy with routing state in Redis vs in memory (rpm + tpm limits on the deployment)';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./child/upstream.mjs', import.meta.url));
const CLIENT = fileURLToPath(new URL('./child/client.mjs', import.meta.url));
const ALIAS = 'bench-limited';
const GOALS = { rps: 0.85 };

function settings() {
  const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
  const seconds = Number(process.env.BENCH_REDIS_SECONDS ?? (quick ? 3 : 10));
  if (!(seconds > 0)) throw new Error(`BENCH_REDIS_SECONDS must be a positive number, got ${process.env.BENCH_REDIS_SECONDS}`);
  const rounds = Math.round(Number(process.env.BENCH_REDIS_ROUNDS ?? 5));
  if (!(rounds >= 1)) throw new Error(`BENCH_REDIS_ROUNDS must be a positive whole number, got ${process.env.BENCH_REDIS_ROUNDS}`);
  return { quick, seconds, rounds, warmupSeconds: quick ? 1 : 2, connections: Math.round(Number(process.env.BENCH_PROXY_CONNECTIONS ?? 50)) };
}

function redisServerPath() {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(200, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(String(data).startsWith('+PONG')));
    socket.write('PING\r\n');
  });
}

/** redis-server without persistence on a free port, pinned with the load; resolves once it answers PING. */
async function startRedis(path, cpu) {
  const port = await freePort();
  const argv = pinned(cpu, [path, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  for (let i = 0; i < 250 && !(await ping(port)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!(await ping(port))) throw new Error(`redis-server on ${port} did not answer PING`);
  return {
    port,
    pid: child.pid,
    async close() {
      process.off('exit', orphan);
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function configText(upstreamUrl, redisPort) {
  const redis = redisPort === undefined ? '' : `  redis_host: 127.0.0.1\n  redis_port: ${redisPort}\n  redis_key_prefix: "bench:"\n`;
  return `model_list:
  - model_name: ${ALIAS}
    litellm_params:
      model: hosted_vllm/bench/served-model
      api_base: ${upstreamUrl}
      rpm: 1000000000
      tpm: 1000000000000
router_settings:
  num_retries: 0
${redis}`;
}

async function readiness(server) {
  const res = await fetch(`${server.url}/health/readiness`);
  return (await res.json()).routing_state;
}

async function fallbacks(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return [...text.matchAll(/^llmpass_redis_fallbacks_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

export async function run({ node = process.execPath, log = console.log }) {
  const path = redisServerPath();
  if (!path) {
    log('skipped: redis-server not found (apt-get install redis-server, or set REDIS_SERVER)');
    return { ok: true, skipped: true };
  }
  const s = settings();
  const plan = pinPlan();
  log(plan.pinned
    ? `pinned: upstream, load generator and redis-server on CPU ${plan.load}; each proxy on CPU ${plan.proxy} (taskset)`
    : `not pinned (${plan.why}): ratios are less telling`);
  log(`${s.quick ? 'quick (BENCH_QUICK): ' : ''}${s.rounds} interleaved rounds x ${s.seconds} s per target, ${s.connections} connections, JSON POST /classify`);
  log(`load average before: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  if (s.rounds < 5) log(`note: ${s.rounds} rounds; a quotable figure needs at least 5 (BENCH_REDIS_ROUNDS)`);
  const dir = await mkdtemp(join(tmpdir(), 'llmpass-bench-redis-'));
  const key = `sk-bench-${randomBytes(12).toString('hex')}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  const body = JSON.stringify({ model: ALIAS, input: 'Hello, world!' });
  const servers = [];
  try {
    const redis = await startRedis(path, plan.load);
    servers.push(redis);
    const upstream = await startServer('upstream', pinned(plan.load, [node, UPSTREAM]));
    servers.push(upstream);
    const env = { ...process.env, LLMPASS_MASTER_KEY: key };
    delete env.HOST;
    delete env.PORT;
    delete env.REDIS_URL;
    const proxies = {};
    for (const [id, port] of [['memory', undefined], ['redis', redis.port]]) {
      const file = join(dir, `${id}.yaml`);
      await writeFile(file, configText(upstream.url, port));
      proxies[id] = await startServer(`llmpass proxy (${id})`, pinned(plan.proxy, [node, BIN, 'proxy', '--port', '0', '--config', file]), { cwd: dir, env: { ...env, XDG_STATE_HOME: join(dir, `state-${id}`) } }); // a request log each, never the user's
      servers.push(proxies[id]);
    }
    const state = await readiness(proxies.redis);
    if (!state?.shared) throw new Error(`the Redis-backed proxy is not sharing state: ${JSON.stringify(state)}`);
    for (const proxy of Object.values(proxies)) {
      const res = await fetch(`${proxy.url}/vllm/classify`, { method: 'POST', headers, body });
      const text = await res.text();
      if (res.status !== 200 || text !== CLASSIFY_ANSWER) throw new Error(`${proxy.name}: answered ${res.status}: ${text.slice(0, 200)}`);
    }

    const job = (proxy, seconds) => ({ mode: 'load', url: `${proxy.url}/vllm/classify`, method: 'POST', headers, body, connections: s.connections, seconds });
    const client = async (j) => JSON.parse((await execOk(pinned(plan.load, [node, CLIENT, JSON.stringify(j)]))).stdout);
    for (const proxy of Object.values(proxies)) await client(job(proxy, s.warmupSeconds));
    const runs = { memory: [], redis: [] };
    for (let round = 0; round < s.rounds; round++) {
      for (const id of ['memory', 'redis']) {
        const proxy = proxies[id];
        const cpu0 = cpuMs(proxy.pid);
        const redis0 = cpuMs(redis.pid);
        const wall0 = performance.now();
        const r = await client(job(proxy, s.seconds));
        const wall = performance.now() - wall0;
        if (r.errors || r.timeouts || r.non2xx) throw new Error(`${proxy.name}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers under load`);
        const proxyCpu = cpuMs(proxy.pid) - cpu0;
        const redisCpu = cpuMs(redis.pid) - redis0;
        runs[id].push({ ...r, cpuUsPerRequest: (proxyCpu * 1000) / r.requests, redisUsPerRequest: (redisCpu * 1000) / r.requests, busy: proxyCpu / wall });
      }
    }
    const after = await readiness(proxies.redis);
    const fellBack = await fallbacks(proxies.redis);
    const stat = (id, field) => {
      const values = runs[id].map((run) => run[field]);
      return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
    };
    const digits = (field) => (field === 'p50' || field === 'p99' ? 2 : 0);
    const cell = (v, field) => `${v.median.toFixed(digits(field))} (${v.min.toFixed(digits(field))}–${v.max.toFixed(digits(field))})`;
    const x = (v) => `${v.toFixed(2)}x`;
    const row = (label, field) => {
      const m = stat('memory', field);
      const r = stat('redis', field);
      return [label, cell(m, field), cell(r, field), x(r.median / m.median)];
    };
    const perRun = (id) => runs[id].map((run) => `${run.rps.toFixed(0)} (${(run.busy * 100).toFixed(0)}%)`).join(' / ');
    log(`req/s per round (proxy CPU busy): memory ${perRun('memory')}; redis ${perRun('redis')}`);
    const m = stat('memory', 'rps');
    const r = stat('redis', 'rps');
    const rpsRatio = r.median / m.median;
    const pairRatios = runs.redis.map((run, i) => run.rps / runs.memory[i].rps);
    const sideBySide = plan.pinned
      ? spread((await duel({ plan, node, a: { pid: proxies.memory.pid, url: `${proxies.memory.url}/vllm/classify`, body, headers }, b: { pid: proxies.redis.pid, url: `${proxies.redis.url}/vllm/classify`, body, headers }, seconds: s.seconds, rounds: s.rounds, connections: s.connections })).map((round) => round.ratio))
      : undefined;
    const pass = rpsRatio >= GOALS.rps && (!sideBySide || sideBySide.median >= GOALS.rps);
    const redisCpu = stat('redis', 'redisUsPerRequest');
    log(formatTable(
      [{ title: `median of ${s.rounds} (min–max)` }, { title: 'memory', align: 'right' }, { title: 'redis', align: 'right' }, { title: 'redis/memory', align: 'right' }],
      [
        row('JSON POST req/s', 'rps'),
        row('JSON POST p50 ms', 'p50'),
        row('JSON POST p99 ms', 'p99'),
        row('proxy CPU µs per request', 'cpuUsPerRequest'),
        ['redis-server CPU µs per request', '-', cell(redisCpu, 'redisUsPerRequest'), ''],
      ],
    ));
    log(`per-round req/s ratios redis/memory: ${pairRatios.map((v) => v.toFixed(2)).join(' / ')} (min–max ${Math.min(...pairRatios).toFixed(2)}–${Math.max(...pairRatios).toFixed(2)})`);
    const cpuRatio = stat('memory', 'cpuUsPerRequest').median / stat('redis', 'cpuUsPerRequest').median;
    log(`proxy CPU per request memory/redis: ${x(cpuRatio)} (the req/s ratio a CPU-bound proxy would reach; steadier than req/s when the load side is starved)`);
    log(`load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
    // A Redis call that times out (100 ms: a starved CPU) serves a moment from local state, which is cheaper.
    const calls = runs.redis.reduce((sum, run) => sum + run.requests, 0);
    const trusted = Boolean(after?.shared) && fellBack <= calls / 100;
    const unsaturated = ['memory', 'redis'].filter((id) => Math.max(...runs[id].map((x) => x.busy)) < 0.85);
    if (unsaturated.length) log(`note: the proxy CPU was under 85% busy for ${unsaturated.join(' and ')}: something else (the load side, another process) capped req/s`);
    if (fellBack) log(`the Redis-backed proxy fell back to local state ${fellBack} times (${((fellBack / calls) * 100).toFixed(2)}% of ${calls} calls)${trusted ? '' : ': its numbers are not all Redis\'s'}`);
    log(sideBySide ? `side by side on CPU ${plan.proxy} (both proxies at once, ${s.rounds} rounds): Redis ${showSpread(sideBySide)}x the requests of in memory` : 'side by side: not run (the proxies are not pinned to one CPU)');
    log(`goal: req/s with Redis >= ${GOALS.rps}x in memory, one after the other (ratio of the medians) and side by side: ${x(rpsRatio)} and ${sideBySide ? x(sideBySide.median) : 'not run'}, ${pass ? 'met' : 'missed'}`);
    return { ok: trusted, goals: { rps: pass }, memory: m, redis: r, sideBySide: sideBySide?.median };
  } finally {
    await Promise.allSettled(servers.reverse().map((server) => server.close()));
    await rm(dir, { recursive: true, force: true });
  }
}
