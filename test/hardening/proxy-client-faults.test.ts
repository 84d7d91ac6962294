// Client faults against `llmpass proxy`: a client that goes away at any phase aborts the upstream request and leaves
// no socket open in the proxy; a client that reads slowly is met with backpressure all the way to the upstream,
// memory bounded; a slowloris client trickling its headers or its body is cut off by the server's timeouts while
// everyone else is served.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hang, sseChunks, startFakeUpstream, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { flood, floodSha256, type FloodProgress } from '../fixtures/faults.ts';
import type { FakeServer, RecordedRequest } from '../fixtures/recording.ts';
import { until } from '../support/cli.ts';
import { exchange, memory, openSockets, settlesTo } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-client-faults-7c21';
const CLIENT_TIMEOUT_S = 1;
const MiB = 1024 * 1024;
const FLOOD_TOTAL = 96 * MiB;

const progress: FloodProgress = { written: 0, done: false };
const routes: Record<string, FakeHandler> = {
  '/hang': hang(),
  '/upload': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  },
  '/sse-long': sseChunks(Array.from({ length: 400 }, (_, n) => `{"n":${n}}`), 20),
  '/flood': flood(FLOOD_TOTAL, progress),
  '/ok': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 });
    res.end('{"ok":true}');
  },
};

let upstream: FakeServer;
let proxy: ProxyCli;
let pid: number;
let baselineSockets: number;

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res) => routes[req.path]!(req, res));
  proxy = await startProxyCli({
    config: 'router_settings:\n  num_retries: 0\n',
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstream.url },
    args: ['--client-timeout', String(CLIENT_TIMEOUT_S)],
  });
  pid = proxy.child.pid!;
  // One request first: the pool, the log and lazy modules are then as they will stay.
  expect((await exchange(`${proxy.url}/vllm/ok`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).status).toBe(200);
  baselineSockets = openSockets(pid);
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

/** A raw connection to the proxy that writes what it is told, when it is told. */
async function rawClient(): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const target = new URL(proxy.url);
  const socket = connect(Number(target.port), target.hostname);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => text, closed };
}

function head(path: string, headers: string[]): string {
  return [`POST ${path} HTTP/1.1`, `Host: ${new URL(proxy.url).host}`, `Authorization: Bearer ${MASTER_KEY}`, ...headers, '', ''].join('\r\n');
}

const requestsTo = (path: string) => upstream.requests.filter((request) => request.path === path);
const newRequest = async (path: string, before: number): Promise<RecordedRequest> => {
  await until(() => requestsTo(path).length > before, 3_000);
  return requestsTo(path)[before]!;
};

describe('a client that goes away', () => {
  for (const type of ['application/octet-stream', 'application/json']) {
    it(`before sending the ${type} body it announced: nothing reaches the upstream, or it is aborted`, async () => {
      const before = upstream.requests.length;
      const client = await rawClient();
      client.socket.write(head('/vllm/upload', [`Content-Type: ${type}`, 'Content-Length: 100000']));
      await new Promise((resolve) => setTimeout(resolve, 200));
      client.socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const seen of upstream.requests.slice(before)) await until(() => seen.aborted, 3_000);
    });
  }

  it('mid-upload: the upstream request is aborted with the part it got', async () => {
    const before = requestsTo('/upload').length;
    const client = await rawClient();
    client.socket.write(head('/vllm/upload', ['Content-Type: application/octet-stream', 'Content-Length: 1000000']));
    client.socket.write(Buffer.alloc(300_000, 1));
    const seen = await newRequest('/upload', before);
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.socket.destroy();
    await until(() => seen.aborted, 3_000);
    expect(seen.bodySize).toBeLessThan(1_000_000);
  });

  it('waiting for the upstream\'s headers: the upstream request is aborted', async () => {
    const before = requestsTo('/hang').length;
    const client = await rawClient();
    client.socket.write(head('/vllm/hang', ['Content-Type: application/json', 'Content-Length: 2']) + '{}');
    const seen = await newRequest('/hang', before);
    client.socket.destroy();
    await until(() => seen.aborted, 3_000);
  });

  it('mid-stream: the upstream request is aborted', async () => {
    const before = requestsTo('/sse-long').length;
    const client = await rawClient();
    client.socket.write(head('/vllm/sse-long', ['Content-Type: application/json', 'Content-Length: 2']) + '{}');
    await until(() => client.received().includes('data: {"n":3}'), 3_000);
    client.socket.destroy();
    const seen = await newRequest('/sse-long', before);
    await until(() => seen.aborted, 3_000);
  });

  it('after all of them, the proxy holds no more sockets than before, and logged each as 499', async () => {
    const sockets = await settlesTo(() => openSockets(pid), baselineSockets, 5_000);
    expect(sockets).toBeLessThanOrEqual(baselineSockets);
    const lines = await proxy.waitForRequests(6);
    const gone = lines.slice(1, 6);
    // 499 when the client left before the answer; the answer's status, with an error, when it left during it
    expect(gone.map((line) => line.status)).toEqual([499, 499, 499, 499, 200]);
    for (const line of gone) expect(line.error, JSON.stringify(line)).toMatch(/client/);
  });
});

describe('a client that reads slowly', () => {
  it('gets backpressure all the way to the upstream, with the proxy\'s memory bounded, and every byte in the end', async () => {
    const rssBefore = memory(pid).rss;
    const hash = createHash('sha256');
    let received = 0;
    const done = new Promise<{ complete: boolean }>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/vllm/flood`, { headers: { authorization: `Bearer ${MASTER_KEY}` }, agent: false }, (res) => {
        res.pause();
        // Not a byte read for a while: the upstream must stall far short of the whole body.
        setTimeout(() => {
          stalledAt = progress.written;
          stalledRss = memory(pid).rss;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            hash.update(chunk);
          });
          res.resume();
        }, 1_500);
        res.once('end', () => resolve({ complete: res.complete }));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end();
    });
    let stalledAt = 0;
    let stalledRss = 0;
    const result = await done;
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt, 'bytes the upstream could write while the client read nothing').toBeLessThan(24 * MiB);
    expect(stalledRss - rssBefore).toBeLessThan(32 * MiB);
    expect(result.complete).toBe(true);
    expect(received).toBe(FLOOD_TOTAL);
    expect(hash.digest('hex')).toBe(floodSha256(FLOOD_TOTAL));
    expect(memory(pid).peak - rssBefore).toBeLessThan(96 * MiB);
  });
});

describe('a slowloris client', () => {
  it('trickling its headers is cut off by the headers timeout, and others are served meanwhile', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => rawClient()));
    const started = performance.now();
    for (const client of clients) client.socket.write(`POST /vllm/upload HTTP/1.1\r\nHost: x\r\n`);
    const trickle = setInterval(() => {
      for (const client of clients) if (!client.socket.destroyed) client.socket.write('X-Slow: 1\r\n');
    }, 200);
    try {
      const others = await Promise.all(Array.from({ length: 10 }, () => exchange(`${proxy.url}/vllm/ok`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })));
      for (const other of others) {
        expect(other.status).toBe(200);
        expect(other.ms).toBeLessThan(1_000);
      }
      await Promise.all(clients.map((client) => client.closed));
    } finally {
      clearInterval(trickle);
    }
    expect(performance.now() - started).toBeLessThan(CLIENT_TIMEOUT_S * 1000 + 2_500);
    for (const client of clients) expect(client.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it('trickling its body is answered 408 and cut off after the client timeout of silence, the upstream request aborted', async () => {
    const before = requestsTo('/upload').length;
    const jsonClient = await rawClient();
    const streamClient = await rawClient();
    const started = performance.now();
    jsonClient.socket.write(head('/vllm/upload', ['Content-Type: application/json', 'Content-Length: 100']) + '{"a":');
    streamClient.socket.write(head('/vllm/upload', ['Content-Type: application/octet-stream', 'Content-Length: 100']) + 'abc');
    const seen = await newRequest('/upload', before);
    const others = await Promise.all(Array.from({ length: 10 }, () => exchange(`${proxy.url}/vllm/ok`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })));
    for (const other of others) expect(other.status).toBe(200);
    await Promise.all([jsonClient.closed, streamClient.closed]);
    expect(performance.now() - started).toBeLessThan(CLIENT_TIMEOUT_S * 1000 + 2_000);
    for (const client of [jsonClient, streamClient]) expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    await until(() => seen.aborted, 3_000);
  });

  it('a connection that sends nothing at all is closed too', async () => {
    const client = await rawClient();
    const started = performance.now();
    await client.closed;
    expect(performance.now() - started).toBeLessThan(CLIENT_TIMEOUT_S * 1000 + 2_000);
  });

  it('leaves no socket behind', async () => {
    const sockets = await settlesTo(() => openSockets(pid), baselineSockets, 5_000);
    expect(sockets).toBeLessThanOrEqual(baselineSockets);
  });
});
