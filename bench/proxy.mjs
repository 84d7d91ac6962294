// The proxy: what `llmpass proxy` (auth, Router, access log, metrics) costs against a minimal Node proxy doing the
// same job as its plain path (bench/baseline-proxy.mjs: undici pool, JSON body buffered and its model swapped,
// upstream key added) and against nginx (Debian's package, the native reference: forwards without parsing), with
// the upstream called directly for reference. All on loopback, in one run: the upstream (bench/child/upstream.mjs),
// the load generator (bench/child/client.mjs) and this runner pinned to one CPU, each proxy under test to the
// other (taskset). Every figure is the median of BENCH_PROXY_ROUNDS (5) interleaved rounds (targets in turn, the
// order reversed every other round) with its spread, min–max; ratios are taken within each round, then the median.
// The machine's load average and CPU steal are printed with the run. Workloads: small JSON POST throughput, proxy
// CPU per request and latency (autocannon), SSE time to the first event and each later event's delivery time, a
// streamed binary upload's throughput and the proxy's peak RSS. llmpass runs twice: plain (the request log off, the
// master key) for the comparisons, and with every feature on (its default SQLite request log, a virtual key with
// limits and a budget, metrics) for throughput against plain. The CPU ratios are measured once more with two
// proxies side by side on their CPU (bench/lib/duel.mjs), the steadier figure on a machine whose lone rounds move.
// Env: BENCH_QUICK=1 (3 s per load run, 256 MiB upload), BENCH_PROXY_ROUNDS (5), BENCH_PROXY_SECONDS (per load
// run, 5), BENCH_PROXY_UPLOAD_MIB (512), BENCH_PROXY_CONNECTIONS (50), BENCH_PROXY_NGINX=0 (leave nginx out),
// BENCH_PROXY_PROFILE=<dir> (run the Node proxies under --cpu-prof and list their top self-time functions; the
// numbers are then not comparable to a normal run).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topSelfTime } from './lib/cpuprofile.mjs';
import { duel } from './lib/duel.mjs';
import { positive } from './lib/env.mjs';
import { nginxBinary, startNginx } from './lib/nginx.mjs';
import { execOk } from './lib/proc.mjs';
import { cpuMs, describeMachine, machineSample, memory, pinned, pinPlan, pinSelf } from './lib/procfs.mjs';
import { startServer } from './lib/server-proc.mjs';
import { showSpread, spread } from './lib/spread.mjs';
import { median } from './lib/stats.mjs';
import { formatTable } from './lib/table.mjs';
import { CLASSIFY_ANSWER, SSE_EVENTS, SSE_GAP_MS } from './lib/upstream-spec.mjs';

export const title = 'llmpass proxy vs a minimal undici proxy doing the same job, nginx, and the upstream direct';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('./baseline-proxy.mjs', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./child/upstream.mjs', import.meta.url));
const CLIENT = fileURLToPath(new URL('./child/client.mjs', import.meta.url));
const ALIAS = 'bench-classifier';
const SERVED = 'bench/served-model';
const MIB = 1024 * 1024;
/** SSE requests per target in one round. */
const SSE_PER_ROUND = 8;

// Issue #21's goals: ratios to the minimal proxy in the same round, SSE times added over direct.
const GOALS = { cpu: 0.75, rps: 1.3, p99: 1.0, sseFirstMs: 0.5, sseLaterMs: 0.1 };
// Held since earlier work: uploads at least as fast as the minimal proxy, in bounded memory.
const HELD = { uploadRatio: 1.0, uploadRssMib: 150 };
// Issue #21: with every feature on (the request log, a virtual key with limits, metrics) within 0.9x of plain.
const FEATURES_RPS = 0.9;

function settings() {
  const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
  return {
    quick,
    rounds: Math.max(1, Math.round(positive('BENCH_PROXY_ROUNDS', 5))),
    seconds: positive('BENCH_PROXY_SECONDS', quick ? 3 : 5),
    warmupSeconds: quick ? 1 : 2,
    connections: Math.round(positive('BENCH_PROXY_CONNECTIONS', 50)),
    uploadBytes: Math.round(positive('BENCH_PROXY_UPLOAD_MIB', quick ? 256 : 512) * MIB),
    nginx: process.env.BENCH_PROXY_NGINX !== '0',
    profileDir: process.env.BENCH_PROXY_PROFILE ? resolve(process.env.BENCH_PROXY_PROFILE) : undefined,
  };
}

async function client(plan, node, job) {
  const { stdout } = await execOk(pinned(plan.load, [node, CLIENT, JSON.stringify(job)]));
  return JSON.parse(stdout);
}

async function startAll({ plan, node, dir, key, upstreamKey, settings: s, log }) {
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
      model: hosted_vllm/${SERVED}
      api_base: ${upstream.url}
      api_key: ${upstreamKey}
`,
    );
    const prof = s.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${s.profileDir}`] : [];
    // HOSTED_VLLM_API_BASE serves the upload: a binary body names no alias, so /vllm/ goes to the provider's base.
    // The virtual keys' store: an SQLite file in the run's temp dir.
    const env = { ...process.env, LLMPASS_MASTER_KEY: key, HOSTED_VLLM_API_BASE: upstream.url, HOSTED_VLLM_API_KEY: upstreamKey, XDG_STATE_HOME: join(dir, 'state') };
    delete env.DATABASE_URL;
    delete env.HOST;
    delete env.PORT;
    // Plain: the request log off (it is on by default); the master key.
    const llmpass = await startServer('llmpass proxy', pinned(plan.proxy, [node, ...prof, BIN, 'proxy', '--port', '0', '--config', config]), { cwd: dir, env: { ...env, LLMPASS_LOG: 'off' } });
    servers.push(llmpass);
    // Every feature on: the request log as it is by default (SQLite, metadata), called with a virtual key (below).
    const features = await startServer('llmpass proxy, features on', pinned(plan.proxy, [node, BIN, 'proxy', '--port', '0', '--config', config]), { cwd: dir, env: { ...env, LLMPASS_LOG: 'on', XDG_STATE_HOME: join(dir, 'state-features') } });
    servers.push(features);
    const minimal = await startServer('minimal proxy', pinned(plan.proxy, [node, ...prof, BASELINE, upstream.url, SERVED, upstreamKey]), { cwd: dir });
    servers.push(minimal);
    let nginx;
    if (s.nginx) {
      const binary = nginxBinary(log);
      if (binary.path) {
        nginx = await startNginx({ binary: binary.path, dir, upstreamUrl: upstream.url, upstreamKey, pin: (argv) => pinned(plan.proxy, argv) });
        servers.push(nginx);
      } else log(`nginx left out: ${binary.why}`);
    } else log('nginx left out (BENCH_PROXY_NGINX=0)');
    return { upstream, llmpass, features, minimal, nginx, servers };
  } catch (error) {
    await Promise.allSettled(servers.map((server) => server.close()));
    throw error;
  }
}

/** The targets: where each workload's requests go. llmpass sees /vllm/<endpoint> with the alias in the body. */
function targets({ upstream, llmpass, minimal, nginx }) {
  return [
    { id: 'direct', name: 'direct', server: undefined, base: upstream.url },
    { id: 'llmpass', name: 'llmpass proxy', server: llmpass, base: `${llmpass.url}/vllm` },
    { id: 'minimal', name: 'minimal undici', server: minimal, base: minimal.url },
    ...(nginx ? [{ id: 'nginx', name: 'nginx', server: nginx, base: nginx.url }] : []),
  ];
}

/**
 * One answer from each target, checked, and what reached the upstream: the Node proxies swap the alias for the
 * served model and send the upstream key (nginx only sends the key); llmpass's access log shows the alias routed.
 */
async function verify(list, { headers, body, upstream, upstreamKey, llmpass }) {
  for (const target of list) {
    const res = await fetch(`${target.base}/classify`, { method: 'POST', headers, body });
    const text = await res.text();
    if (res.status !== 200 || text !== CLASSIFY_ANSWER) throw new Error(`${target.name}: /classify answered ${res.status}: ${text.slice(0, 300)}`);
    const seen = await (await fetch(`${upstream.url}/last`)).json();
    const model = target.id === 'direct' || target.id === 'nginx' ? ALIAS : SERVED;
    const auth = target.id === 'direct' ? headers.authorization : `Bearer ${upstreamKey}`;
    if (seen.model !== model || seen.authorization !== auth) throw new Error(`${target.name}: the upstream got model ${seen.model} and ${seen.authorization === auth ? 'the right' : 'a wrong'} key`);
  }
  for (let i = 0; i < 50 && !llmpass.lines.some((l) => l.includes(`"alias":"${ALIAS}"`)); i++) await new Promise((r) => setTimeout(r, 20));
  const line = llmpass.lines.find((l) => l.includes(`"alias":"${ALIAS}"`));
  if (!line) throw new Error(`llmpass proxy: no access-log line shows alias ${ALIAS}; last lines:\n${llmpass.lines.slice(-5).join('\n')}`);
}

/** Rounds alternate the order (ABC, CBA): drift on a noisy machine spreads over all targets alike. */
function roundOrder(list, round) {
  return round % 2 === 0 ? list : [...list].reverse();
}

const perRound = (rounds, fn) => spread(rounds.map(fn));

async function uploads(list, { plan, node, bytes, headers, settings: s }) {
  const idle = Object.fromEntries(list.filter((t) => t.server).map((t) => [t.id, memory(t.server.pid)?.rss]));
  const rounds = [];
  for (let round = 0; round < s.rounds; round++) {
    const one = {};
    for (const target of roundOrder(list, round)) {
      const r = await client(plan, node, { mode: 'upload', url: `${target.base}/upload`, headers, bytes });
      one[target.id] = bytes / MIB / (r.ms / 1000);
    }
    rounds.push(one);
  }
  const peak = Object.fromEntries(list.filter((t) => t.server).map((t) => [t.id, memory(t.server.pid)?.peak]));
  return { rounds, idle, peak };
}

async function throughput(list, { plan, node, settings: s, headers, body, upstream }) {
  const job = (target, seconds) => ({ mode: 'load', url: `${target.base}/classify`, method: 'POST', headers: target.headers ?? headers, body, connections: s.connections, seconds });
  for (const target of list) await client(plan, node, job(target, s.warmupSeconds));
  const rounds = [];
  for (let round = 0; round < s.rounds; round++) {
    const one = {};
    for (const target of roundOrder(list, round)) {
      const pid = target.server?.pid;
      const cpu0 = pid && cpuMs(pid);
      const up0 = cpuMs(upstream.pid);
      const wall0 = performance.now();
      const r = await client(plan, node, job(target, s.seconds));
      const wall = performance.now() - wall0;
      if (r.errors || r.timeouts || r.non2xx) throw new Error(`${target.name}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers under load`);
      const proxyCpu = pid ? cpuMs(pid) - cpu0 : undefined;
      one[target.id] = {
        ...r,
        proxyCpuShare: proxyCpu === undefined ? undefined : proxyCpu / wall,
        cpuUsPerRequest: proxyCpu === undefined ? undefined : (proxyCpu * 1000) / r.requests,
        loadCpuShare: (cpuMs(upstream.pid) - up0 + r.clientCpuMs) / wall,
      };
    }
    rounds.push(one);
  }
  return rounds;
}

/**
 * The CPU ratios again, two proxies at a time side by side on the proxies' CPU (bench/lib/duel.mjs): llmpass and
 * the minimal proxy, then llmpass with every feature on and plain. Each round's ratio of requests answered in the
 * same seconds is the inverse of their CPU per request ratio, under one machine state.
 */
async function pairs(list, featuresTarget, { plan, node, settings: s, headers, body }) {
  const side = (target) => ({ pid: target.server.pid, url: `${target.base}/classify`, body, headers: target.headers ?? headers });
  const byId = Object.fromEntries(list.map((target) => [target.id, target]));
  const run = (a, b) => duel({ plan, node, a: side(a), b: side(b), seconds: s.seconds, rounds: s.rounds, connections: s.connections });
  // minimal÷llmpass requests = llmpass's CPU per request ÷ the minimal proxy's; plain÷features likewise.
  const cpu = (await run(byId.llmpass, byId.minimal)).map((r) => r.ratio);
  const features = (await run(byId.llmpass, featuresTarget)).map((r) => r.ratio);
  return { cpu: spread(cpu), featuresRps: spread(features) };
}

/** SSE in rounds: each round SSE_PER_ROUND requests per target, interleaved; a round's figure is the median of its paired gaps. */
async function sse(list, { plan, node, settings: s, headers }) {
  const body = JSON.stringify({ model: ALIAS, input: 'Hello, world!', stream: true });
  const rounds = [];
  for (let round = 0; round < s.rounds; round++) {
    const raw = await client(plan, node, {
      mode: 'sse',
      targets: roundOrder(list, round).map((t) => ({ name: t.id, url: `${t.base}/sse` })),
      headers,
      body,
      rounds: SSE_PER_ROUND,
      warmup: round === 0 ? 3 : 1,
      events: SSE_EVENTS,
    });
    const gap = (id, field) => median(raw[id][field].map((v, i) => v - raw.direct[field][i]));
    rounds.push(Object.fromEntries(list.map((t) => [t.id, { first: median(raw[t.id].first), later: median(raw[t.id].later), addedFirst: gap(t.id, 'first'), addedLater: gap(t.id, 'later') }])));
  }
  return rounds;
}

const verdict = (pass) => (pass ? 'met' : 'MISSED');

function report({ tp, ev, up, s, list, sideBySide, log }) {
  const ids = list.map((t) => t.id);
  const proxies = ids.filter((id) => id !== 'direct');
  const has = (id) => ids.includes(id);
  const rows = [];
  const row = (label, cells) => rows.push([label, ...ids.map((id) => cells[id] ?? '-')]);
  const each = (fn, digits, unit) => Object.fromEntries(ids.map((id) => [id, showSpread(perRound(tp, (r) => (r[id] ? fn(r[id], r) : undefined)), digits, unit)]));
  row('JSON POST req/s', each((t) => t.rps, 0));
  row('  ÷ direct', Object.fromEntries(proxies.map((id) => [id, showSpread(perRound(tp, (r) => r[id].rps / r.direct.rps))])));
  row('proxy CPU µs per request', each((t) => t.cpuUsPerRequest, 0));
  row('proxy CPU busy %', each((t) => (t.proxyCpuShare === undefined ? undefined : t.proxyCpuShare * 100), 0));
  row('JSON POST p50 ms', each((t) => t.p50, 2));
  row('JSON POST p99 ms', each((t) => t.p99, 2));
  row('SSE first event ms', Object.fromEntries(ids.map((id) => [id, showSpread(perRound(ev, (r) => r[id]?.first))])));
  row('  added over direct ms', Object.fromEntries(proxies.map((id) => [id, showSpread(perRound(ev, (r) => r[id]?.addedFirst))])));
  row('SSE later event delivery ms', Object.fromEntries(ids.map((id) => [id, showSpread(perRound(ev, (r) => r[id]?.later), 3)])));
  row('  added over direct ms', Object.fromEntries(proxies.map((id) => [id, showSpread(perRound(ev, (r) => r[id]?.addedLater), 3)])));
  row(`upload ${s.uploadBytes / MIB} MiB, MiB/s`, Object.fromEntries(ids.map((id) => [id, showSpread(perRound(up.rounds, (r) => r[id]), 0)])));
  row('upload: peak RSS MiB (VmHWM)', Object.fromEntries(proxies.map((id) => [id, up.peak[id] ? (up.peak[id] / MIB).toFixed(0) : '-'])));
  row('  RSS when idle, before it, MiB', Object.fromEntries(proxies.map((id) => [id, up.idle[id] ? (up.idle[id] / MIB).toFixed(0) : '-'])));
  log(formatTable([{ title: `median [min–max] of ${s.rounds} rounds` }, ...ids.map((id) => ({ title: id, align: 'right' }))], rows));

  // Ratios within each round, then their median: the two proxies saw the same machine within seconds of each other.
  const ratio = (fn) => perRound(tp, fn);
  const r = {
    cpu: ratio((x) => x.llmpass.cpuUsPerRequest / x.minimal.cpuUsPerRequest),
    rps: ratio((x) => x.llmpass.rps / x.minimal.rps),
    p99: ratio((x) => x.llmpass.p99 / x.minimal.p99),
    sseFirst: perRound(ev, (x) => x.llmpass.addedFirst),
    sseLater: perRound(ev, (x) => x.llmpass.addedLater),
    upload: perRound(up.rounds, (x) => x.llmpass / x.minimal),
    features: has('features') ? ratio((x) => x.features.rps / x.llmpass.rps) : undefined,
    featuresCpu: has('features') ? ratio((x) => x.features.cpuUsPerRequest / x.llmpass.cpuUsPerRequest) : undefined,
  };
  const rssMib = up.peak.llmpass / MIB;
  const goals = [
    ['CPU per request ÷ minimal', r.cpu, `<= ${GOALS.cpu}x`, r.cpu.median <= GOALS.cpu],
    ['req/s ÷ minimal', r.rps, `>= ${GOALS.rps}x`, r.rps.median >= GOALS.rps],
    ['p99 ÷ minimal', r.p99, `<= ${GOALS.p99}x`, r.p99.median <= GOALS.p99],
    ['SSE first event added over direct, ms', r.sseFirst, `<= ${GOALS.sseFirstMs} ms`, r.sseFirst.median <= GOALS.sseFirstMs],
    ['SSE each later event added over direct, ms', r.sseLater, `<= ${GOALS.sseLaterMs} ms`, r.sseLater.median <= GOALS.sseLaterMs],
    ...(r.features ? [['every feature on (log, virtual key, metrics) req/s ÷ plain', r.features, `>= ${FEATURES_RPS}x`, r.features.median >= FEATURES_RPS]] : []),
    // The same two ratios side by side (pairs()): steadier; a goal holds only when both figures meet it.
    ...(sideBySide?.cpu ? [['CPU per request ÷ minimal, side by side', sideBySide.cpu, `<= ${GOALS.cpu}x`, sideBySide.cpu.median <= GOALS.cpu]] : []),
    ...(sideBySide?.featuresRps ? [['every feature on req/s ÷ plain, side by side', sideBySide.featuresRps, `>= ${FEATURES_RPS}x`, sideBySide.featuresRps.median >= FEATURES_RPS]] : []),
  ];
  const held = [
    ['upload MiB/s ÷ minimal', r.upload, `>= ${HELD.uploadRatio}x`, r.upload.median >= HELD.uploadRatio],
    ['upload peak RSS MiB', { median: rssMib, min: rssMib, max: rssMib }, `< ${HELD.uploadRssMib} MiB`, rssMib < HELD.uploadRssMib],
  ];
  if (r.featuresCpu) log(`every feature on: CPU per request ÷ plain ${showSpread(r.featuresCpu, 2)}`);
  const goalRows = (list) => list.map(([name, value, goal, pass]) => [name, showSpread(value, value === r.sseLater ? 3 : 2), goal, verdict(pass)]);
  const goalColumns = (heading) => [{ title: heading }, { title: 'llmpass median [min–max]', align: 'right' }, { title: 'goal' }, { title: '' }];
  log('');
  log(formatTable(goalColumns("issue #21's goals"), goalRows(goals)));
  log('');
  log(formatTable(goalColumns('held from earlier work'), goalRows(held)));
  return { ratios: r, goals: Object.fromEntries(goals.map(([name, , , pass]) => [name, pass])), held: Object.fromEntries(held.map(([name, , , pass]) => [name, pass])) };
}

async function profiles(dir, servers, log) {
  // Sorted by name, so by time: `llmpass proxy` restarts itself in place (same pid, cli/expose-gc.ts), and its
  // last profile is the one that served.
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  for (const server of servers) {
    const file = files.findLast((f) => f.includes(`.${server.pid}.`));
    if (!file) {
      log(`${server.name}: no profile found in ${dir}`);
      continue;
    }
    const { busyMs, top } = await topSelfTime(join(dir, file), 25);
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
  const machine0 = machineSample();
  log(
    plan.pinned
      ? `pinned: upstream, load generator and this runner on CPU ${plan.load}; each proxy under test on CPU ${plan.proxy} (taskset)`
      : `not pinned (${plan.why}): proxies, upstream and load share the CPUs; ratios are less telling`,
  );
  log(`${s.quick ? 'quick (BENCH_QUICK): ' : ''}${s.rounds} interleaved rounds; per round: ${s.seconds} s load per target at ${s.connections} connections, SSE ${SSE_PER_ROUND} requests per target (${SSE_EVENTS} events ${SSE_GAP_MS} ms apart), one ${s.uploadBytes / MIB} MiB upload per target`);
  log(`machine at the start: load average ${machine0.loadavg?.join('/') ?? 'unknown'}`);
  if (s.profileDir) {
    await mkdir(s.profileDir, { recursive: true });
    log(`profiling the Node proxies into ${s.profileDir}: the numbers below carry the profiler's cost`);
  }
  const unpin = pinSelf(plan.load);
  const dir = await mkdtemp(join(tmpdir(), 'llmpass-bench-proxy-'));
  const key = `sk-bench-${randomBytes(12).toString('hex')}`;
  const upstreamKey = `sk-upstream-${randomBytes(12).toString('hex')}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  const body = JSON.stringify({ model: ALIAS, input: 'Hello, world!' });
  let started;
  try {
    started = await startAll({ plan, node, dir, key, upstreamKey, settings: s, log });
    const list = targets(started);
    await verify(list, { headers, body, upstream: started.upstream, upstreamKey, llmpass: started.llmpass });
    const ctx = { plan, node, settings: s, headers, body, upstream: started.upstream, log };
    // The upload first, on fresh proxies: VmHWM is then the upload's peak, not the load test's heap.
    const up = await uploads(list, { ...ctx, bytes: s.uploadBytes, headers: { authorization: headers.authorization } });
    // The features-on proxy, called with a virtual key (limits and a budget set, so every check runs on every call).
    const made = await fetch(`${started.features.url}/key/generate`, { method: 'POST', headers, body: JSON.stringify({ key_alias: 'bench', models: [ALIAS], rpm_limit: 1e9, tpm_limit: 1e12, max_budget: 1e9 }) });
    if (made.status !== 200) throw new Error(`llmpass proxy: /key/generate answered ${made.status}: ${await made.text()}`);
    const virtualKey = (await made.json()).key;
    const featuresTarget = { id: 'features', name: 'llmpass proxy, every feature on', server: started.features, base: `${started.features.url}/vllm`, headers: { ...headers, authorization: `Bearer ${virtualKey}` } };
    const tp = await throughput([...list, featuresTarget], ctx);
    const sideBySide = plan.pinned ? await pairs(list, featuresTarget, ctx) : undefined;
    const ev = await sse(list, ctx);
    const wholeRun = { llmpass: memory(started.llmpass.pid)?.peak, minimal: memory(started.minimal.pid)?.peak };

    log('');
    const result = report({ tp, ev, up, s, list: [...list, featuresTarget], sideBySide, log });
    log('');
    const unsaturated = ['llmpass', 'minimal'].filter((id) => median(tp.map((r) => r[id].proxyCpuShare)) < 0.85);
    if (unsaturated.length) {
      log(`note: proxy CPU under 85% busy for ${unsaturated.join(' and ')}: something else (the load side, another process on its CPU) capped it; trust CPU µs per request over req/s`);
    }
    log(`peak RSS over the whole run: llmpass ${(wholeRun.llmpass / MIB).toFixed(0)} MiB, minimal ${(wholeRun.minimal / MIB).toFixed(0)} MiB; llmpass access-log lines read: ${started.llmpass.lineCount}`);
    log(`machine: ${describeMachine(machine0, machineSample())}`);
    const met = Object.values(result.goals).filter(Boolean).length;
    log(`issue #21 goals: ${met}/${Object.keys(result.goals).length} met`);
    if (s.profileDir) {
      const proxies = [started.llmpass, started.minimal];
      await Promise.allSettled(started.servers.map((server) => server.close()));
      await profiles(s.profileDir, proxies, log);
    }
    return { ok: true, ...result, throughput: tp, sse: ev, upload: up };
  } finally {
    if (started) await Promise.allSettled(started.servers.map((server) => server.close()));
    await rm(dir, { recursive: true, force: true });
    unpin();
  }
}
