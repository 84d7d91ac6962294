// OpenTelemetry's cost in the proxy: two `llmpass proxy` processes, one with tracing and metrics exporting
// OTLP/protobuf to a local collector (bench/child/otlp-sink.mjs), one without, taking the same small JSON POST
// load (autocannon, bench/child/client.mjs) in alternating rounds. Pinned as bench/proxy.mjs pins. Reported: the
// proxy's CPU µs per request (from /proc, steady on a loaded machine) and req/s (noisy there), medians of rounds.
// Goal: tracing on >= 0.9x the req/s of tracing off (ratio of the medians of the rounds); CPU per request says why.
// The collector shares the load generator's CPU, never the proxy's: its own CPU per round is printed to show it is
// small next to the client's. Load averages before and after: a busy machine makes every figure move. Then the two
// proxies side by side on their CPU, each under its own load (bench/lib/duel.mjs): the ratio of the requests they
// answer in the same seconds is their CPU cost ratio, steadier than rounds taken one after the other (this machine
// moves a lone round by up to 20%). The goal is met only when both figures meet it. Last, the tracing seam alone
// in a process on the proxy's CPU (bench/child/telemetry-seam.mjs): its own CPU per request.
// Env: BENCH_QUICK=1 (3 rounds of 3 s), BENCH_TELEMETRY_ROUNDS, BENCH_TELEMETRY_SECONDS, BENCH_PROXY_CONNECTIONS.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { duel, load } from './lib/duel.mjs';
import { positive } from './lib/env.mjs';
import { execOk } from './lib/proc.mjs';
import { cpuMs, pinned, pinPlan } from './lib/procfs.mjs';
import { startServer } from './lib/server-proc.mjs';
import { showSpread, spread as spreadOf } from './lib/spread.mjs';
import { median } from './lib/stats.mjs';
import { formatTable } from './lib/table.mjs';
import { CLASSIFY_ANSWER } from './lib/upstream-spec.mjs';

export const title = 'proxy with OpenTelemetry tracing on (exporting to a local collector) vs off';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./child/upstream.mjs', import.meta.url));
const SINK = fileURLToPath(new URL('./child/otlp-sink.mjs', import.meta.url));
const SEAM = fileURLToPath(new URL('./child/telemetry-seam.mjs', import.meta.url));
const ALIAS = 'bench-classifier';
const GOAL = 0.9;
const BODY = JSON.stringify({ model: ALIAS, input: 'Hello, world!' });

function settings() {
  const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
  return {
    rounds: Math.round(positive('BENCH_TELEMETRY_ROUNDS', quick ? 3 : 5)),
    seconds: positive('BENCH_TELEMETRY_SECONDS', quick ? 3 : 8),
    connections: Math.round(positive('BENCH_PROXY_CONNECTIONS', 50)),
    seamRequests: quick ? 5000 : 20_000,
  };
}


const loadAverage = () => loadavg().map((v) => v.toFixed(2)).join(' ');

/** One round against `server`: its req/s, the proxy's CPU µs per request and the collector's CPU ms (undefined off Linux). */
async function round(plan, node, server, sink, url, s) {
  const before = cpuMs(server.pid);
  const sinkBefore = cpuMs(sink.pid);
  const r = await load(plan, node, { url, body: BODY }, s.seconds, s.connections);
  const after = cpuMs(server.pid);
  const sinkAfter = cpuMs(sink.pid);
  return {
    rps: r.rps,
    cpuUs: before === undefined || after === undefined || !r.requests ? undefined : ((after - before) * 1000) / r.requests,
    sinkMs: sinkBefore === undefined || sinkAfter === undefined ? undefined : sinkAfter - sinkBefore,
    clientMs: r.clientCpuMs,
  };
}

export async function run({ node = process.execPath, log = console.log }) {
  const s = settings();
  const plan = pinPlan();
  log(plan.pinned ? `pinned: upstream, collector and load on CPU ${plan.load}; each proxy on CPU ${plan.proxy}` : `not pinned (${plan.why})`);
  const loadBefore = loadAverage();
  const dir = await mkdtemp(join(tmpdir(), 'llmpass-bench-otel-'));
  const servers = [];
  try {
    const upstream = await startServer('upstream', pinned(plan.load, [node, UPSTREAM]));
    servers.push(upstream);
    const sink = await startServer('otlp collector', pinned(plan.load, [node, SINK]));
    servers.push(sink);
    const config = join(dir, 'llmpass.config.yaml');
    await writeFile(config, `model_list:\n  - model_name: ${ALIAS}\n    litellm_params:\n      model: hosted_vllm/bench/served-model\n      api_base: ${upstream.url}\n`);
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('OTEL_') || name === 'HOST' || name === 'PORT') delete env[name];
    const argv = pinned(plan.proxy, [node, BIN, 'proxy', '--port', '0', '--config', config]);
    // Each proxy keeps the request log a user gets by default, in a file of its own here: never the user's log, and
    // never one file for both (two writers on one SQLite file wait on each other's locks, and the rounds showed it).
    const off = await startServer('tracing off', argv, { cwd: dir, env: { ...env, XDG_STATE_HOME: join(dir, 'state-off') } });
    servers.push(off);
    const on = await startServer('tracing on', argv, { cwd: dir, env: { ...env, XDG_STATE_HOME: join(dir, 'state-on'), OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'llmpass-bench' } });
    servers.push(on);
    const targets = [
      { id: 'off', server: off, url: `${off.url}/vllm/classify` },
      { id: 'on', server: on, url: `${on.url}/vllm/classify` },
    ];
    for (const target of targets) {
      const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: ALIAS, input: 'x' }) });
      if ((await res.text()) !== CLASSIFY_ANSWER) throw new Error(`${target.id}: unexpected answer ${res.status}`);
      await load(plan, node, { url: target.url, body: BODY }, 2, s.connections); // warm-up
    }
    const rps = { off: [], on: [] };
    const cpu = { off: [], on: [] };
    const sinkMs = [];
    const clientMs = [];
    // off, on, on, off, ...: each target goes first as often as last, so a drift in the machine's load cancels out.
    for (let n = 0; n < s.rounds; n++) {
      for (const target of n % 2 ? [...targets].reverse() : targets) {
        const r = await round(plan, node, target.server, sink, target.url, s);
        rps[target.id].push(r.rps);
        if (r.cpuUs !== undefined) cpu[target.id].push(r.cpuUs);
        if (target.id === 'on' && r.sinkMs !== undefined) {
          sinkMs.push(r.sinkMs);
          clientMs.push(r.clientMs);
        }
      }
    }
    const med = { off: median(rps.off), on: median(rps.on) };
    const spread = (list) => (list.length ? `${Math.min(...list).toFixed(0)}–${Math.max(...list).toFixed(0)}` : 'n/a');
    const cpuMedian = (list) => (list.length ? median(list).toFixed(0) : 'n/a');
    const ratio = med.on / med.off;
    const pairRatios = rps.on.map((v, i) => v / rps.off[i]);
    const sunk = await (await fetch(sink.url)).json();
    log(`${s.rounds} rounds x ${s.seconds} s, ${s.connections} connections, targets alternating; load average before ${loadBefore}, after ${loadAverage()} (1/5/15 min, ${plan.pinned ? 2 : 'all'} CPUs used here)`);
    log(`req/s per round: off ${rps.off.map((v) => v.toFixed(0)).join('/')}, on ${rps.on.map((v) => v.toFixed(0)).join('/')}`);
    log(formatTable(
      [{ title: 'proxy' }, { title: 'median req/s', align: 'right' }, { title: 'min–max', align: 'right' }, { title: 'CPU µs/req', align: 'right' }, { title: 'min–max', align: 'right' }],
      [
        ['tracing off', med.off.toFixed(0), spread(rps.off), cpuMedian(cpu.off), spread(cpu.off)],
        ['tracing on (OTLP/protobuf to a local collector)', med.on.toFixed(0), spread(rps.on), cpuMedian(cpu.on), spread(cpu.on)],
      ],
    ));
    const cpuRatio = cpu.on.length && cpu.off.length ? median(cpu.off) / median(cpu.on) : undefined;
    log(`one after the other: tracing on ${ratio.toFixed(2)}x the req/s of tracing off; per-round ratios ${pairRatios.map((r) => r.toFixed(2)).join('/')}`);
    const sideBySide = plan.pinned
      ? await duel({ plan, node, a: { pid: off.pid, url: targets[0].url, body: BODY }, b: { pid: on.pid, url: targets[1].url, body: BODY }, seconds: s.seconds, rounds: s.rounds, connections: s.connections })
      : [];
    const together = spreadOf(sideBySide.map((r) => r.ratio));
    if (together) {
      const cpuTogether = spreadOf(sideBySide.map((r) => r.cpuRatio));
      log(`side by side on CPU ${plan.proxy} (${s.rounds} rounds x ${s.seconds} s, both proxies at once): tracing on ${showSpread(together)}x the requests of tracing off; CPU per request off/on ${showSpread(cpuTogether)}`);
    } else log('side by side: not run (the proxies are not pinned to one CPU)');
    const pass = ratio >= GOAL && (!together || together.median >= GOAL);
    log(`goal: tracing on >= ${GOAL}x the req/s of tracing off, one after the other and side by side: ${ratio.toFixed(2)}x and ${together ? `${together.median.toFixed(2)}x` : 'not run'}, goal ${pass ? 'met' : 'missed'}`);
    if (cpuRatio !== undefined) log(`CPU per request: off/on = ${cpuRatio.toFixed(2)}x (the req/s ratio a CPU-bound proxy would reach), tracing adds ${(median(cpu.on) - median(cpu.off)).toFixed(0)} µs/request`);
    if (sinkMs.length) log(`collector CPU per "on" round: median ${median(sinkMs).toFixed(0)} ms (${spread(sinkMs)}), next to the load generator's ${median(clientMs).toFixed(0)} ms on the same CPU`);
    log(`collector received ${sunk?.exports ?? '?'} exports (${((sunk?.bytes ?? 0) / 1024).toFixed(0)} KiB)`);
    const seam = JSON.parse((await execOk(pinned(plan.proxy, [node, SEAM, JSON.stringify({ url: sink.url, requests: s.seamRequests, rounds: s.rounds })]))).stdout);
    const seamAdded = seam.tracedUs.map((traced, i) => traced - seam.plainUs[i]);
    log(`the tracing seam alone (in process, no HTTP, ${s.seamRequests} requests a round): ${median(seamAdded).toFixed(1)} µs/request (${spread(seamAdded)})${cpuRatio === undefined ? '' : `, of the ${(median(cpu.on) - median(cpu.off)).toFixed(0)} the proxy adds`}`);
    const ok = (sunk?.exports ?? 0) > 0;
    if (!ok) log('  the collector got nothing: the "on" proxy did not export, the ratio means nothing');
    return { ok, pass, ratio, sideBySide: together?.median, rps, cpu, seam };
  } finally {
    await Promise.allSettled(servers.map((server) => server.close()));
    await rm(dir, { recursive: true, force: true });
  }
}
