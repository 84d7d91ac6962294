// The proxy: what `llmpass proxy` (auth, Router, access log, metrics) costs over the smallest correct undici
// pass-through (bench/baseline-proxy.mjs), with the upstream called directly for reference. All on loopback, in
// one run: an upstream (bench/child/upstream.mjs) and the load generator (bench/child/client.mjs) pinned to one
// CPU, the two proxies to the other, targets run alternately. Workloads: small JSON POST throughput and latency
// (autocannon), SSE time to the first and the last of 50 events 5 ms apart, a streamed binary upload's throughput
// and the proxy's peak RSS.
// Env: BENCH_QUICK=1 (3 s per workload, 256 MiB upload, 10 SSE rounds), BENCH_PROXY_SECONDS (per autocannon run),
// BENCH_PROXY_UPLOAD_MIB, BENCH_PROXY_CONNECTIONS (default 50), BENCH_PROXY_PROFILE=<dir> (run both proxies under
// --cpu-prof and list their top self-time functions; the numbers are then not comparable to a normal run).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topSelfTime } from './lib/cpuprofile.mjs';
import { execOk } from './lib/proc.mjs';
import { allowedCpus, cpuMs, memory, pinned, pinPlan } from './lib/procfs.mjs';
import { startServer } from './lib/server-proc.mjs';
import { median } from './lib/stats.mjs';
import { formatTable } from './lib/table.mjs';
import { CLASSIFY_ANSWER, SSE_EVENTS, SSE_GAP_MS } from './lib/upstream-spec.mjs';
import { positive } from './lib/env.mjs';

export const title = 'llmpass proxy vs a minimal undici pass-through, and the upstream direct';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('./baseline-proxy.mjs', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./child/upstream.mjs', import.meta.url));
const CLIENT = fileURLToPath(new URL('./child/client.mjs', import.meta.url));
const ALIAS = 'bench-classifier';
const MIB = 1024 * 1024;
const ROUNDS = 2;

const GOALS = { rps: 0.9, p99: 1.2, sseAddedMs: 1, uploadRssMib: 150, uploadRatio: 1.0, virtualKeyRps: 0.95 };

function settings() {
  const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
  return {
    quick,
    seconds: positive('BENCH_PROXY_SECONDS', quick ? 3 : 10),
    warmupSeconds: quick ? 1 : 2,
    connections: Math.round(positive('BENCH_PROXY_CONNECTIONS', 50)),
    uploadBytes: Math.round(positive('BENCH_PROXY_UPLOAD_MIB', quick ? 256 : 1024) * MIB),
    sseRounds: quick ? 10 : 30,
    profileDir: process.env.BENCH_PROXY_PROFILE ? resolve(process.env.BENCH_PROXY_PROFILE) : undefined,
  };
}

/** The runner drains the proxies' logs: it belongs with the load, off the proxies' CPU. Undone by the returned function. */
function pinSelf(cpu) {
  const before = allowedCpus();
  if (cpu === undefined || !before) return () => undefined;
  const set = (list) => spawnSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' });
  set(String(cpu));
  return () => set(before.join(','));
}

async function client(plan, node, job) {
  const { stdout } = await execOk(pinned(plan.load, [node, CLIENT, JSON.stringify(job)]));
  return JSON.parse(stdout);
}

async function startAll({ plan, node, dir, key, profileDir }) {
  const servers = [];
  try {
    const upstream = await startServer('upstream', pinned(plan.load, [node, UPSTREAM]));
    servers.push(upstream);
    const config = join(dir, 'llmpass.config.yaml');
    await writeFile(
      config,
      `model_list:
  - model_name: ${ALIAS}
    litellm_params:
      model: hosted_vllm/bench/served-model
      api_base: ${upstream.url}
`,
    );
    const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    // HOSTED_VLLM_API_BASE serves the upload: a binary body names no alias, so /vllm/ goes to the provider's base.
    // The virtual keys' store: an SQLite file in the run's temp dir.
    const env = { ...process.env, LLMPASS_MASTER_KEY: key, HOSTED_VLLM_API_BASE: upstream.url, XDG_STATE_HOME: join(dir, 'state') };
    delete env.DATABASE_URL;
    delete env.HOST;
    delete env.PORT;
    const llmpass = await startServer('llmpass proxy', pinned(plan.proxy, [node, ...prof, BIN, 'proxy', '--port', '0', '--config', config]), { cwd: dir, env });
    servers.push(llmpass);
    const minimal = await startServer('minimal proxy', pinned(plan.proxy, [node, ...prof, BASELINE, upstream.url]), { cwd: dir });
    servers.push(minimal);
    return { upstream, llmpass, minimal, servers };
  } catch (error) {
    await Promise.allSettled(servers.map((s) => s.close()));
    throw error;
  }
}

/** The three targets: where each workload's requests go. llmpass sees /vllm/<endpoint> with the alias in the body. */
function targets({ upstream, llmpass, minimal }) {
  return [
    { id: 'direct', name: 'direct', server: undefined, base: upstream.url },
    { id: 'llmpass', name: 'llmpass proxy', server: llmpass, base: `${llmpass.url}/vllm` },
    { id: 'minimal', name: 'minimal undici', server: minimal, base: minimal.url },
  ];
}

/** One answer from each target, checked; llmpass's access log must show the alias served through the Router. */
async function verify(list, headers, body, llmpass) {
  for (const target of list) {
    const res = await fetch(`${target.base}/classify`, { method: 'POST', headers, body });
    const text = await res.text();
    if (res.status !== 200 || text !== CLASSIFY_ANSWER) throw new Error(`${target.name}: /classify answered ${res.status}: ${text.slice(0, 300)}`);
  }
  for (let i = 0; i < 50 && !llmpass.lines.some((l) => l.includes(`"alias":"${ALIAS}"`)); i++) await new Promise((r) => setTimeout(r, 20));
  const line = llmpass.lines.find((l) => l.includes(`"alias":"${ALIAS}"`));
  if (!line) throw new Error(`llmpass proxy: no access-log line shows alias ${ALIAS}; last lines:\n${llmpass.lines.slice(-5).join('\n')}`);
}

/** Rounds alternate the order (ABC, CBA): drift on a noisy machine spreads over all targets alike. */
function roundOrder(list, round) {
  return round % 2 === 0 ? list : [...list].reverse();
}

async function uploads(list, { plan, node, bytes, headers, log }) {
  const results = Object.fromEntries(list.map((t) => [t.id, []]));
  const idle = Object.fromEntries(list.filter((t) => t.server).map((t) => [t.id, memory(t.server.pid)?.rss]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of roundOrder(list, round)) {
      const r = await client(plan, node, { mode: 'upload', url: `${target.base}/upload`, headers, bytes });
      results[target.id].push((bytes / MIB) / (r.ms / 1000));
    }
  }
  const peak = Object.fromEntries(list.filter((t) => t.server).map((t) => [t.id, memory(t.server.pid)?.peak]));
  log(`upload: ${bytes / MIB} MiB x ${ROUNDS} per target, MiB/s per run: ${list.map((t) => `${t.id} ${results[t.id].map((v) => v.toFixed(0)).join('/')}`).join(', ')}`);
  return { best: Object.fromEntries(list.map((t) => [t.id, Math.max(...results[t.id])])), idle, peak };
}

async function throughput(list, { plan, node, settings: s, headers, body, upstream, log }) {
  const job = (target, seconds) => ({ mode: 'load', url: `${target.base}/classify`, method: 'POST', headers: target.headers ?? headers, body, connections: s.connections, seconds });
  for (const target of list) await client(plan, node, job(target, s.warmupSeconds));
  const runs = Object.fromEntries(list.map((t) => [t.id, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of roundOrder(list, round)) {
      const pid = target.server?.pid;
      const cpu0 = pid && cpuMs(pid);
      const up0 = cpuMs(upstream.pid);
      const wall0 = performance.now();
      const r = await client(plan, node, job(target, s.seconds));
      const wall = performance.now() - wall0;
      if (r.errors || r.timeouts || r.non2xx) throw new Error(`${target.name}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers under load`);
      const proxyCpu = pid ? cpuMs(pid) - cpu0 : undefined;
      runs[target.id].push({
        ...r,
        proxyCpuShare: proxyCpu === undefined ? undefined : proxyCpu / wall,
        cpuUsPerRequest: proxyCpu === undefined ? undefined : (proxyCpu * 1000) / r.requests,
        loadCpuShare: (cpuMs(upstream.pid) - up0 + r.clientCpuMs) / wall,
      });
    }
  }
  const perRun = (t) => {
    const cpu = t.server ? ` (${runs[t.id].map((r) => r.cpuUsPerRequest.toFixed(0)).join('/')} us CPU/req)` : '';
    return `${t.id} ${runs[t.id].map((r) => r.rps.toFixed(0)).join('/')}${cpu}`;
  };
  log(`JSON POST: ${ROUNDS} x ${s.seconds} s per target, ${s.connections} connections; req/s per run: ${list.map(perRun).join(', ')}`);
  // Noise on a shared machine only ever slows a run down: the best of the runs is the estimate.
  const best = (id) => ({
    rps: Math.max(...runs[id].map((r) => r.rps)),
    p50: Math.min(...runs[id].map((r) => r.p50)),
    p99: Math.min(...runs[id].map((r) => r.p99)),
    cpuUsPerRequest: runs[id][0].cpuUsPerRequest === undefined ? undefined : Math.min(...runs[id].map((r) => r.cpuUsPerRequest)),
    proxyCpuShare: runs[id][0].proxyCpuShare === undefined ? undefined : Math.max(...runs[id].map((r) => r.proxyCpuShare)),
    loadCpuShare: Math.max(...runs[id].map((r) => r.loadCpuShare)),
  });
  return Object.fromEntries(list.map((t) => [t.id, best(t.id)]));
}

async function sse(list, { plan, node, settings: s, headers }) {
  const body = JSON.stringify({ model: ALIAS, input: 'Hello, world!', stream: true });
  const raw = await client(plan, node, {
    mode: 'sse',
    targets: list.map((t) => ({ name: t.id, url: `${t.base}/sse` })),
    headers,
    body,
    rounds: s.sseRounds,
    warmup: 3,
    events: SSE_EVENTS,
  });
  // Requests to the three targets ran side by side in each round: the added time is the median of the paired gaps.
  const added = (id, field) => median(raw[id][field].map((v, i) => v - raw.direct[field][i]));
  return Object.fromEntries(
    list.map((t) => [t.id, { first: median(raw[t.id].first), last: median(raw[t.id].last), addedFirst: added(t.id, 'first'), addedLast: added(t.id, 'last') }]),
  );
}

const x = (ratio) => `${ratio.toFixed(2)}x`;
const verdict = (pass) => (pass ? 'PASS' : 'MISS');

function report({ tp, ev, up, s, log }) {
  const rows = [];
  const row = (workload, direct, llmpass, minimal, ratio = '', goal = '', result = '') => rows.push([workload, direct, llmpass, minimal, ratio, goal, result]);
  const rpsRatio = tp.llmpass.rps / tp.minimal.rps;
  const keyRatio = tp.key.rps / tp.llmpass.rps;
  const p99Ratio = tp.llmpass.p99 / tp.minimal.p99;
  const uploadRatio = up.best.llmpass / up.best.minimal;
  const rssMib = up.peak.llmpass / MIB;
  const goals = {
    rps: rpsRatio >= GOALS.rps,
    p99: p99Ratio <= GOALS.p99,
    sse: ev.llmpass.addedFirst < GOALS.sseAddedMs,
    rss: rssMib < GOALS.uploadRssMib,
    upload: uploadRatio >= GOALS.uploadRatio,
    virtualKey: keyRatio >= GOALS.virtualKeyRps,
  };
  const f = (v, digits = 1) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
  row(`JSON POST req/s (best of ${ROUNDS})`, f(tp.direct.rps, 0), f(tp.llmpass.rps, 0), f(tp.minimal.rps, 0), x(rpsRatio), `>= ${GOALS.rps}x`, verdict(goals.rps));
  row('  with a virtual key (rpm 10^9), req/s', '-', f(tp.key.rps, 0), '-', `${x(keyRatio)} of master`, `>= ${GOALS.virtualKeyRps}x`, verdict(goals.virtualKey));
  row('JSON POST p50 ms', f(tp.direct.p50, 2), f(tp.llmpass.p50, 2), f(tp.minimal.p50, 2), x(tp.llmpass.p50 / tp.minimal.p50));
  row('JSON POST p99 ms', f(tp.direct.p99, 2), f(tp.llmpass.p99, 2), f(tp.minimal.p99, 2), x(p99Ratio), `<= ${GOALS.p99}x`, verdict(goals.p99));
  row('proxy CPU us per request', '-', f(tp.llmpass.cpuUsPerRequest, 0), f(tp.minimal.cpuUsPerRequest, 0), x(tp.llmpass.cpuUsPerRequest / tp.minimal.cpuUsPerRequest));
  row(`SSE first event ms (median of ${s.sseRounds})`, f(ev.direct.first, 2), f(ev.llmpass.first, 2), f(ev.minimal.first, 2));
  row('SSE first event, added vs direct ms', '-', f(ev.llmpass.addedFirst, 2), f(ev.minimal.addedFirst, 2), '', `< ${GOALS.sseAddedMs} ms`, verdict(goals.sse));
  row('SSE last event ms (median)', f(ev.direct.last, 1), f(ev.llmpass.last, 1), f(ev.minimal.last, 1));
  row('SSE last event, added vs direct ms', '-', f(ev.llmpass.addedLast, 2), f(ev.minimal.addedLast, 2));
  row(`upload ${s.uploadBytes / MIB} MiB, MiB/s (best of ${ROUNDS})`, f(up.best.direct, 0), f(up.best.llmpass, 0), f(up.best.minimal, 0), x(uploadRatio), `>= ${GOALS.uploadRatio}x`, verdict(goals.upload));
  row('upload: proxy peak RSS MiB (VmHWM)', '-', f(rssMib, 0), f(up.peak.minimal / MIB, 0), x(rssMib / (up.peak.minimal / MIB)), `< ${GOALS.uploadRssMib} MiB`, verdict(goals.rss));
  row('  (RSS when idle, before it, MiB)', '-', f(up.idle.llmpass / MIB, 0), f(up.idle.minimal / MIB, 0));
  log(
    formatTable(
      [
        { title: 'workload' },
        { title: 'direct', align: 'right' },
        { title: 'llmpass', align: 'right' },
        { title: 'minimal', align: 'right' },
        { title: 'llmpass/minimal', align: 'right' },
        { title: 'goal' },
        { title: '' },
      ],
      rows,
    ),
  );
  return goals;
}

async function profiles(dir, servers, log) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  for (const server of servers) {
    const file = files.find((f) => f.includes(`.${server.pid}.`));
    if (!file) {
      log(`${server.name}: no profile found in ${dir}`);
      continue;
    }
    const { busyMs, top } = await topSelfTime(join(dir, file));
    log(`\n${server.name}: top self time (${(busyMs / 1000).toFixed(1)} s busy), ${join(dir, file)}`);
    log(formatTable(
      [{ title: 'self ms', align: 'right' }, { title: '% busy', align: 'right' }, { title: 'function' }, { title: 'where' }],
      top.map((e) => [e.ms.toFixed(0), (e.share * 100).toFixed(1), e.name, e.where]),
    ));
  }
}

export async function run({ node = process.execPath, log = console.log }) {
  const s = settings();
  const plan = pinPlan();
  log(
    plan.pinned
      ? `pinned: upstream, load generator and this runner on CPU ${plan.load}; each proxy on CPU ${plan.proxy} (taskset)`
      : `not pinned (${plan.why}): proxies, upstream and load share the CPUs; ratios are less telling`,
  );
  log(`${s.quick ? 'quick (BENCH_QUICK): ' : ''}${s.seconds} s per load run, ${s.connections} connections, SSE ${SSE_EVENTS} events ${SSE_GAP_MS} ms apart x ${s.sseRounds}, upload ${s.uploadBytes / MIB} MiB`);
  if (s.profileDir) {
    await mkdir(s.profileDir, { recursive: true });
    log(`profiling both proxies into ${s.profileDir}: the numbers below carry the profiler's cost`);
  }
  const unpin = pinSelf(plan.load);
  const dir = await mkdtemp(join(tmpdir(), 'llmpass-bench-proxy-'));
  const key = `sk-bench-${randomBytes(12).toString('hex')}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  const body = JSON.stringify({ model: ALIAS, input: 'Hello, world!' });
  let started;
  try {
    started = await startAll({ plan, node, dir, key, profileDir: s.profileDir });
    const list = targets(started);
    await verify(list, headers, body, started.llmpass);
    const ctx = { plan, node, settings: s, headers, body, upstream: started.upstream, log };
    // The upload first, on fresh proxies: VmHWM is then the upload's peak, not the load test's heap.
    const up = await uploads(list, { ...ctx, bytes: s.uploadBytes, headers: { authorization: headers.authorization } });
    // The same llmpass proxy called with a virtual key (limits set, so the rpm window is counted on every call).
    const made = await fetch(`${started.llmpass.url}/key/generate`, { method: 'POST', headers, body: JSON.stringify({ key_alias: 'bench', models: [ALIAS], rpm_limit: 1e9, max_budget: 1e9 }) });
    if (made.status !== 200) throw new Error(`llmpass proxy: /key/generate answered ${made.status}: ${await made.text()}`);
    const virtualKey = (await made.json()).key;
    const keyTarget = { id: 'key', name: 'llmpass proxy, virtual key', server: started.llmpass, base: `${started.llmpass.url}/vllm`, headers: { ...headers, authorization: `Bearer ${virtualKey}` } };
    const tp = await throughput([...list, keyTarget], ctx);
    const ev = await sse(list, ctx);
    const wholeRun = { llmpass: memory(started.llmpass.pid)?.peak, minimal: memory(started.minimal.pid)?.peak };

    log('');
    const goals = report({ tp, ev, up, s, log });
    log(
      `proxy CPU busy during its best load run: llmpass ${(tp.llmpass.proxyCpuShare * 100).toFixed(0)}%, minimal ${(tp.minimal.proxyCpuShare * 100).toFixed(0)}%; ` +
        `load CPU (upstream + autocannon): ${(tp.llmpass.loadCpuShare * 100).toFixed(0)}% / ${(tp.minimal.loadCpuShare * 100).toFixed(0)}%`,
    );
    const unsaturated = ['llmpass', 'minimal'].filter((id) => tp[id].proxyCpuShare < 0.85);
    if (unsaturated.length) {
      log(`  note: CPU under 85% busy for ${unsaturated.join(' and ')}: something else (the load side, another process on its CPU) capped it; trust CPU us per request over req/s`);
    }
    log(`peak RSS over the whole run: llmpass ${(wholeRun.llmpass / MIB).toFixed(0)} MiB, minimal ${(wholeRun.minimal / MIB).toFixed(0)} MiB; llmpass access-log lines read: ${started.llmpass.lineCount}`);
    const passed = Object.values(goals).filter(Boolean).length;
    log(`goals: ${passed}/${Object.keys(goals).length} PASS`);
    if (s.profileDir) {
      const proxies = [started.llmpass, started.minimal];
      await Promise.allSettled(started.servers.map((server) => server.close()));
      await profiles(s.profileDir, proxies, log);
    }
    return { ok: true, goals, throughput: tp, sse: ev, upload: up };
  } finally {
    if (started) await Promise.allSettled(started.servers.map((server) => server.close()));
    await rm(dir, { recursive: true, force: true });
    unpin();
  }
}
