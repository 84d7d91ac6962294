// The soak: a bounded run of mixed load through `llmpass proxy` (the built CLI, in a child process): JSON calls
// through an alias, SSE streams, streamed uploads, and injected faults all at once: upstream resets before and
// after the headers, bodies cut short, silent upstreams (--timeout), a dead upstream, clients that go away mid-stream
// and mid-upload, malformed JSON, wrong keys, and slowloris clients. Every request gets an outcome within a deadline
// (none may hang); every answer is checked (bodies by sha256); at the end the proxy's open file descriptors and its
// connections to the upstream are back to their baseline, nothing is in flight, and its memory is where it was once
// warm: RSS (V8 keeps the heap it grew to under load, so the baseline is taken after a warm-up of the same load) and
// the live heap after a full collection (read from --trace-gc; the last one forced by a heap-snapshot signal).
//   npm run soak                      (60 s)
//   SOAK_SECONDS=600 SOAK_CONCURRENCY=64 npm run soak
// Exit 0 when every check holds, 1 otherwise. Prints its figures either way.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { memory } from './lib/procfs.mjs';
import { formatTable } from './lib/table.mjs';
import { positive } from './lib/env.mjs';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const MIB = 1024 * 1024;
const SECONDS = positive('SOAK_SECONDS', 60);
const CONCURRENCY = Math.round(positive('SOAK_CONCURRENCY', 48));
const DEADLINE_MS = 15_000; // no request may take longer, faults included (--timeout 1, --client-timeout 2)
const MASTER_KEY = `sk-soak-${randomBytes(6).toString('hex')}`;
const ALIAS = 'soak-model';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const openFds = (pid) => readdirSync(`/proc/${pid}/fd`).length;

// ---- the upstream: answers by path, faults included -------------------------------------------------------------

const JSON_ANSWER = JSON.stringify({ id: 'soak', object: 'list', data: [{ index: 0, label: 'en', probs: [0.98, 0.02] }] });
const sseEvents = (n) => Array.from({ length: 8 }, (_, i) => `data: {"stream":${n},"i":${i},"delta":"${'t'.repeat((n + i) % 50)}"}\n\n`);
const CUT_BODY = Buffer.from(JSON.stringify({ data: 'c'.repeat(8192) }));

function upstreamHandler(req, res) {
  const path = req.url.split('?')[0];
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('error', () => undefined);
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    switch (path.slice(path.lastIndexOf('/') + 1)) {
      case 'classify':
        return void setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(JSON_ANSWER) });
          res.end(JSON_ANSWER);
        }, Math.random() * 30);
      case 'sse': {
        const events = sseEvents(JSON.parse(body.toString()).n);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let i = 0;
        const next = () => {
          if (res.destroyed) return;
          if (i === events.length - 1) return void res.end(events[i]);
          res.write(events[i++]);
          setTimeout(next, 10);
        };
        return next();
      }
      case 'sse-long': {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const timer = setInterval(() => res.write('data: {"more":true}\n\n'), 20);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'upload': {
        const answer = JSON.stringify({ bytes: body.length, sha256: sha256(body) });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
        return void res.end(answer);
      }
      case 'reset-before':
        return void res.socket?.resetAndDestroy();
      case 'reset-mid':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': CUT_BODY.length });
        res.write(CUT_BODY.subarray(0, 1000));
        return void setTimeout(() => res.socket?.resetAndDestroy(), 30);
      case 'cut':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': CUT_BODY.length });
        res.write(CUT_BODY.subarray(0, 1000));
        return void setTimeout(() => res.socket?.end(), 30);
      case 'stall':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return void res.write('data: {"first":true}\n\n');
      case 'hang':
        return;
      default:
        res.writeHead(404, { 'content-length': 0 });
        res.end();
    }
  });
}

// ---- the scenarios: each sends one request and says how it ended ------------------------------------------------

/** Reads a body to the end: its bytes, or the error that broke it. */
async function drain(body) {
  const chunks = [];
  try {
    for await (const chunk of body) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks) };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error.code ?? error.message };
  }
}

function scenarios(proxyUrl, agent) {
  const auth = { authorization: `Bearer ${MASTER_KEY}` };
  const send = (path, options) =>
    request(`${proxyUrl}${path}`, { dispatcher: agent, headersTimeout: DEADLINE_MS, bodyTimeout: DEADLINE_MS, ...options, headers: { ...auth, ...options?.headers } });
  const json = (path, body) => send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const expectStatus = async (promise, status) => {
    const response = await promise;
    const { bytes } = await drain(response.body);
    return response.statusCode === status ? 'ok' : `status ${response.statusCode}: ${bytes.toString().slice(0, 200)}`;
  };
  /** The answer began and must then break: a clean end would pass a truncated body off as whole. */
  const expectBroken = async (promise) => {
    const response = await promise;
    const { error } = await drain(response.body);
    return response.statusCode === 200 && error ? 'ok' : `status ${response.statusCode}, ${error ? `error ${error}` : 'a clean end'}`;
  };
  return [
    { name: 'json via alias', weight: 30, run: async () => {
      const response = await json('/vllm/classify', { model: ALIAS, input: 'Hello, world!' });
      const { bytes, error } = await drain(response.body);
      return response.statusCode === 200 && !error && bytes.toString() === JSON_ANSWER ? 'ok' : `status ${response.statusCode} ${error ?? ''} ${bytes.toString().slice(0, 100)}`;
    } },
    { name: 'sse via alias', weight: 20, run: async () => {
      const n = Math.floor(Math.random() * 1e6);
      const response = await json('/vllm/sse', { model: ALIAS, n, stream: true });
      const { bytes, error } = await drain(response.body);
      return response.statusCode === 200 && !error && sha256(bytes) === sha256(sseEvents(n).join('')) ? 'ok' : `status ${response.statusCode} ${error ?? 'bytes differ'}`;
    } },
    { name: 'upload (streamed)', weight: 8, run: async () => {
      const data = randomBytes(256 * 1024 + Math.floor(Math.random() * 1.75 * MIB));
      const response = await send('/vllm/upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: data });
      const { bytes, error } = await drain(response.body);
      const answer = !error && response.statusCode === 200 ? JSON.parse(bytes.toString()) : undefined;
      return answer?.bytes === data.length && answer.sha256 === sha256(data) ? 'ok' : `status ${response.statusCode} ${error ?? bytes.toString().slice(0, 100)}`;
    } },
    { name: 'fault: reset before headers', weight: 4, run: () => expectStatus(json('/vllm/reset-before', { model: ALIAS }), 502) },
    { name: 'fault: reset mid-body', weight: 5, run: () => expectBroken(json('/vllm/reset-mid', { model: ALIAS })) },
    { name: 'fault: cut short (FIN)', weight: 5, run: () => expectBroken(json('/vllm/cut', { model: ALIAS })) },
    { name: 'fault: stalled stream', weight: 3, run: () => expectBroken(json('/vllm/stall', { model: ALIAS })) },
    { name: 'fault: silent upstream', weight: 3, run: () => expectStatus(json('/vllm/hang', { model: ALIAS }), 504) },
    { name: 'fault: dead upstream', weight: 4, run: () => expectStatus(send('/openai/v1/models'), 502) },
    { name: 'fault: malformed JSON', weight: 3, run: () => expectStatus(send('/vllm/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": ' }), 400) },
    { name: 'fault: wrong key', weight: 3, run: () => expectStatus(send('/vllm/classify', { headers: { authorization: 'Bearer wrong' } }), 401) },
    { name: 'client gone mid-stream', weight: 5, run: async () => {
      const controller = new AbortController();
      const response = await send('/vllm/sse-long', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: ALIAS }), signal: controller.signal });
      for await (const _ of response.body) {
        controller.abort();
        break;
      }
      return 'ok';
    } },
    { name: 'client gone mid-upload', weight: 4, run: () => rawClient(proxyUrl, [
      'POST /vllm/upload HTTP/1.1', 'Host: soak', `Authorization: Bearer ${MASTER_KEY}`, 'Content-Type: application/octet-stream', 'Content-Length: 2000000',
    ], randomBytes(200_000), 'destroy') },
    { name: 'slowloris headers', weight: 1, run: () => rawClient(proxyUrl, ['POST /vllm/upload HTTP/1.1', 'Host: soak'], undefined, 'trickle') },
  ];
}

/** A raw client: sends `head` (and `body`), then either destroys the socket or trickles headers until cut off. */
function rawClient(proxyUrl, head, body, how) {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let timer;
    const started = performance.now();
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearInterval(timer);
      // Trickling, it must be cut off by the server (--client-timeout 2, checked every second).
      resolve(how === 'trickle' && performance.now() - started > 5_000 ? 'a slowloris held on for over 5 s' : 'ok');
    });
    socket.once('connect', () => {
      if (how === 'destroy') {
        socket.write(`${head.join('\r\n')}\r\n\r\n`);
        socket.write(body, () => setTimeout(() => socket.destroy(), 20));
      } else {
        socket.write(`${head.join('\r\n')}\r\n`);
        timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 300);
      }
    });
  });
}

function picker(list) {
  const total = list.reduce((sum, s) => sum + s.weight, 0);
  return () => {
    let roll = Math.random() * total;
    for (const scenario of list) if ((roll -= scenario.weight) < 0) return scenario;
    return list.at(-1);
  };
}

// ---- the proxy under test ---------------------------------------------------------------------------------------

/**
 * `llmpass proxy` with --trace-gc: its stdout carries the banner, the access log (JSON lines) and V8's GC lines,
 * from which the live heap after each full collection is read. A heap snapshot (SIGUSR2) forces one.
 */
function startProxy(argv, { cwd, env }) {
  const child = spawn(process.execPath, ['--trace-gc', `--heapsnapshot-signal=SIGUSR2`, BIN, 'proxy', ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => child.kill('SIGKILL'));
  const proxy = { pid: child.pid, url: undefined, requests: 0, liveHeaps: [], stderr: '' };
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => (proxy.stderr = (proxy.stderr + text).slice(-4096)));
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`llmpass proxy exited (${signal ?? code}) before it was ready\n${proxy.stderr}`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      pending += text;
      let newline;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const gc = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(line);
        if (gc) proxy.liveHeaps.push(Number(gc[1]) * MIB);
        else if (line.startsWith('{"level"') && line.includes('"msg":"request"')) proxy.requests++;
        else if (!proxy.url && line.startsWith('{')) {
          proxy.url = JSON.parse(line).url;
          resolve(proxy);
        }
      }
    });
  });
  proxy.forceGc = async () => {
    const before = proxy.liveHeaps.length;
    child.kill('SIGUSR2');
    for (let i = 0; i < 200 && proxy.liveHeaps.length === before; i++) await sleep(50);
    return proxy.liveHeaps.at(-1);
  };
  proxy.close = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return ready;
}

// ---- the run ----------------------------------------------------------------------------------------------------

async function main() {
  const upstreamSockets = new Set();
  // Idle connections are let go after a second, so the proxy's pool drains once the load stops.
  const upstream = createServer({ keepAliveTimeout: 1_000, requestTimeout: 0 }, upstreamHandler);
  upstream.on('connection', (socket) => {
    upstreamSockets.add(socket);
    socket.once('close', () => upstreamSockets.delete(socket));
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
  const dead = createServer();
  await new Promise((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const deadPort = dead.address().port;
  await new Promise((resolve) => dead.close(resolve));

  const dir = await mkdtemp(join(tmpdir(), 'llmpass-soak-'));
  const config = join(dir, 'llmpass.config.yaml');
  await writeFile(config, `model_list:\n  - model_name: ${ALIAS}\n    litellm_params: { model: hosted_vllm/served, api_base: "${upstreamUrl}" }\nrouter_settings:\n  num_retries: 0\n`);
  const env = { PATH: process.env.PATH, HOME: dir, LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstreamUrl, OPENAI_API_BASE: `http://127.0.0.1:${deadPort}/v1` };
  const proxy = await startProxy(['--port', '0', '--config', config, '--timeout', '1', '--client-timeout', '2'], { cwd: dir, env });
  const agent = new Agent({ connections: CONCURRENCY * 2, keepAliveTimeout: 2_000 });
  const list = scenarios(proxy.url, agent);
  const pick = picker(list);
  const outcomes = new Map(list.map((s) => [s.name, { sent: 0, ok: 0, failed: 0 }]));
  const failures = [];
  let started = 0;
  let finished = 0;
  let hung = 0;

  const one = async (scenario) => {
    started++;
    const counts = outcomes.get(scenario.name);
    counts.sent++;
    let verdict;
    const deadline = sleep(DEADLINE_MS).then(() => 'hung');
    try {
      verdict = await Promise.race([scenario.run(), deadline]);
    } catch (error) {
      verdict = `threw ${error.code ?? error.message}`;
    }
    finished++;
    if (verdict === 'ok') counts.ok++;
    else {
      counts.failed++;
      if (verdict === 'hung') hung++;
      if (failures.length < 20) failures.push(`${scenario.name}: ${verdict}`);
    }
  };

  const load = async (seconds) => {
    const until = Date.now() + seconds * 1000;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) await one(pick());
    }));
  };
  const settle = async (limit) => {
    const since = performance.now();
    for (;;) {
      const now = { rss: memory(proxy.pid).rss, fds: openFds(proxy.pid), upstream: upstreamSockets.size };
      if ((now.fds <= limit.fds && now.upstream <= limit.upstream) || performance.now() - since > 15_000) return { ...now, ms: performance.now() - since };
      await sleep(250);
    }
  };

  // Cold: idle after start-up. Warm: after a warm-up of the same mixed load (the pool, lazy modules, the JIT, and
  // the heap V8 grows to under this load), once idle again.
  await sleep(500);
  const cold = { rss: memory(proxy.pid).rss, fds: openFds(proxy.pid), upstream: upstreamSockets.size };
  const warmupSeconds = Math.min(10, Math.max(2, SECONDS / 6));
  process.stderr.write(`soak: ${warmupSeconds} s warm-up, then ${SECONDS} s; ${CONCURRENCY} clients; proxy ${proxy.url}\n`);
  await load(warmupSeconds);
  const warmRequests = started;
  const warmFailures = [...outcomes.values()].reduce((sum, c) => sum + c.failed, 0);
  for (const counts of outcomes.values()) Object.assign(counts, { sent: 0, ok: 0, failed: 0 });
  started = finished = 0;
  // (The clients keep their connections open between the two runs: the proxy offers them 65 s of keep-alive.)
  await sleep(1_000);
  const warm = { rss: memory(proxy.pid).rss, fds: openFds(proxy.pid), upstream: upstreamSockets.size, heap: await proxy.forceGc() };
  warm.rssAfterGc = memory(proxy.pid).rss;
  const loggedBefore = proxy.requests;

  const peak = { rss: warm.rss, fds: warm.fds, upstream: warm.upstream };
  const sampler = setInterval(() => {
    const now = memory(proxy.pid);
    if (!now) return;
    peak.rss = Math.max(peak.rss, now.rss);
    peak.fds = Math.max(peak.fds, openFds(proxy.pid));
    peak.upstream = Math.max(peak.upstream, upstreamSockets.size);
  }, 250);
  const t0 = performance.now();
  await load(SECONDS);
  const loadMs = performance.now() - t0;
  clearInterval(sampler);

  // Let go of the clients' connections; the upstream closes its idle ones; the proxy should then hold what it did.
  await agent.close();
  const settled = await settle(cold);
  const after = { rss: settled.rss, fds: settled.fds, upstream: settled.upstream, heap: await proxy.forceGc() };
  after.rssAfterGc = memory(proxy.pid).rss;
  // The one request in flight is this one, asking.
  const metrics = await (await fetch(`${proxy.url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).text();
  const inFlight = Number(/^llmpass_requests_in_flight (\d+)/m.exec(metrics)?.[1] ?? NaN) - 1;
  await sleep(500); // the access log is flushed every 200 ms
  const logged = proxy.requests - loggedBefore - 1;

  await proxy.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  await rm(dir, { recursive: true, force: true });

  const mib = (bytes) => `${(bytes / MIB).toFixed(1)} MiB`;
  const rows = [...outcomes].map(([name, c]) => [name, String(c.sent), String(c.ok), String(c.failed)]);
  const total = [...outcomes.values()].reduce((sum, c) => ({ sent: sum.sent + c.sent, ok: sum.ok + c.ok, failed: sum.failed + c.failed }), { sent: 0, ok: 0, failed: 0 });
  rows.push(['total', String(total.sent), String(total.ok), String(total.failed)]);
  console.log(`\nllmpass soak: ${(loadMs / 1000).toFixed(1)} s of mixed load after a ${warmupSeconds} s warm-up (${warmRequests} requests, ${warmFailures} not as expected), ${CONCURRENCY} clients, ${total.sent} requests (${Math.round(total.sent / (loadMs / 1000))}/s)\n`);
  console.log(formatTable([{ title: 'scenario', align: 'left' }, { title: 'sent', align: 'right' }, { title: 'as expected', align: 'right' }, { title: 'not', align: 'right' }], rows));
  console.log('');
  const heapRow = (h) => (h === undefined ? '?' : mib(h));
  console.log(formatTable(
    [{ title: 'proxy', align: 'left' }, { title: 'cold', align: 'right' }, { title: 'warm', align: 'right' }, { title: 'peak', align: 'right' }, { title: 'after', align: 'right' }],
    [
      ['RSS', mib(cold.rss), mib(warm.rss), mib(peak.rss), mib(after.rss)],
      ['RSS after a full GC', '', mib(warm.rssAfterGc), '', mib(after.rssAfterGc)],
      ['live heap after full GC', '', heapRow(warm.heap), '', heapRow(after.heap)],
      ['open fds', String(cold.fds), String(warm.fds), String(peak.fds), String(after.fds)],
      ['upstream sockets', String(cold.upstream), String(warm.upstream), String(peak.upstream), String(after.upstream)],
    ],
  ));
  console.log(`\nsettled in ${(settled.ms / 1000).toFixed(1)} s; in flight at the end: ${inFlight}; access-log lines: ${logged}; hung: ${hung}`);

  // Slowloris connections never complete a request, so they make no access-log line.
  const slowloris = outcomes.get('slowloris headers').sent;
  const checks = [
    ['every request has an outcome', started === finished],
    ['none hung', hung === 0],
    ['every outcome as expected (warm-up included)', total.failed === 0 && warmFailures === 0],
    ['nothing in flight in the proxy', inFlight === 0],
    ['every HTTP request in the access log', logged === total.sent - slowloris],
    ['open fds back to the cold baseline (+2)', after.fds <= cold.fds + 2],
    ['upstream sockets back to the cold baseline', after.upstream <= cold.upstream],
    ['live heap back near warm (+16 MiB)', after.heap !== undefined && warm.heap !== undefined && after.heap <= warm.heap + 16 * MIB],
    // V8 keeps some of the old space it grew into; a leak shows in the live heap, a runaway in RSS.
    ['RSS after a full GC back near warm (+96 MiB)', after.rssAfterGc <= warm.rssAfterGc + 96 * MIB],
  ];
  console.log('');
  for (const [what, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'}  ${what}`);
  if (failures.length) console.log(`\nfirst failures:\n  ${failures.join('\n  ')}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
}

await main();
