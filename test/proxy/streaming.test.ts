// Streaming and faults through the proxy: SSE event by event, client disconnects, upstream resets, timeouts,
// unreachable upstreams, and upstream error answers relayed as they are.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hang, resetMidBody, sseChunks, startFakeUpstream, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import type { FakeServer, RecordedRequest } from '../fixtures/recording.ts';
import { deadPort, until } from '../support/cli.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { http, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { expectProxyError } from '../support/proxy-error.ts';

const MASTER_KEY = 'sk-llmpass-stream-master-a9e310';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const TEAPOT_BODY = Buffer.from('{"error": {"message": "I am a teapot", "type": "teapot"}}\n  trailing bytes \u00e9\u00e8', 'utf8');
const BOOM_BODY = Buffer.from([0x7b, 0x22, 0x65, 0x22, 0x3a, 0x31, 0x7d, 0x00, 0xff, 0xfe, 0x0a]);

/**
 * SSE in lock step with the client: event n+1 is sent only once the client has received event n (`received`). A proxy
 * that held events back would stall it, whatever the machine's load; no timing is involved.
 */
let received: () => void = () => {};
function lockStepSse(count: number): FakeHandler {
  return async (_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    for (let n = 1; n <= count; n++) {
      const delivered = new Promise<void>((resolve) => (received = resolve));
      res.write(`data: {"n":${n}}\n\n`);
      await delivered;
    }
    res.end();
  };
}

/** SSE with one event, then a TCP reset: an upstream that dies mid-stream. */
function sseThenReset(): FakeHandler {
  return (_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n');
    setTimeout(() => res.socket?.resetAndDestroy(), 80);
  };
}

const routes: Record<string, FakeHandler> = {
  '/sse': lockStepSse(5),
  '/sse-long': sseChunks(Array.from({ length: 100 }, (_, i) => `{"n":${i}}`), 50),
  '/sse-reset': sseThenReset(),
  '/sse-short': lockStepSse(2),
  '/reset': resetMidBody(100),
  '/hang': hang(),
  '/teapot': status(418, TEAPOT_BODY, { 'content-type': 'application/problem+json', 'x-upstream-id': 'tea-1' }),
  '/boom': status(503, BOOM_BODY, { 'content-type': 'application/octet-stream', 'retry-after': '0' }),
  '/unauthorized': status(401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } }),
};

let upstream: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res) => {
    const handler = routes[req.path];
    if (handler) return handler(req, res);
    res.writeHead(404);
    res.end();
  });
  const dead = await deadPort();
  proxy = await startProxyCli({
    config: `router_settings:
  num_retries: 0
`,
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstream.url, OPENAI_API_BASE: `http://127.0.0.1:${dead}/v1` },
    args: ['--timeout', '1'],
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

function seen(path: string): RecordedRequest {
  const found = upstream.requests.filter((r) => r.path === path).at(-1);
  if (!found) throw new Error(`the fake saw no request for ${path}`);
  return found;
}


interface Arrival {
  at: number;
  events: number;
}

interface StreamResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  arrivals: Arrival[];
  ended: boolean;
  error?: string;
}

/** GETs a stream and resolves with how it ended: a clean end, or an error (reset, premature close). */
function readStream(url: string, onChunk?: (text: string, arrivals: Arrival[]) => boolean | void): Promise<StreamResult> {
  return new Promise((resolve) => {
    const arrivals: Arrival[] = [];
    let text = '';
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    let done = false;
    const finish = (ended: boolean, error?: string) => {
      if (done) return;
      done = true;
      resolve({ status: statusCode, headers, text, arrivals, ended, ...(error === undefined ? {} : { error }) });
    };
    const req = httpRequest(url, { headers: AUTH, agent: false }, (res) => {
      statusCode = res.statusCode ?? 0;
      headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        arrivals.push({ at: performance.now(), events: chunk.split('\n\n').length - 1 });
        if (onChunk?.(chunk, arrivals) === false) {
          req.destroy();
          finish(false, 'client disconnected');
        }
      });
      res.once('end', () => finish(true));
      res.once('error', (error) => finish(false, (error as NodeJS.ErrnoException).code ?? error.message));
      res.once('aborted', () => finish(false, 'aborted'));
      res.once('close', () => finish(res.complete && res.readableEnded, 'closed'));
    });
    req.once('error', (error) => finish(false, (error as NodeJS.ErrnoException).code ?? error.message));
    req.end();
  });
}

describe('SSE', () => {
  it('passes events on one by one as they arrive, with no buffering', async () => {
    // The upstream sends each next event only after this client got the last one (lockStepSse).
    const result = await readStream(`${proxy.url}/vllm/sse`, () => received());
    expect(result.status).toBe(200);
    expect(result.ended).toBe(true);
    expect(result.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(result.headers['cache-control']).toBe('no-cache');
    expect(result.text).toBe([1, 2, 3, 4, 5].map((n) => `data: {"n":${n}}\n\n`).join(''));
    // every event came in its own chunk, as the fake sent it
    expect(result.arrivals.map((a) => a.events)).toEqual([1, 1, 1, 1, 1]);
    expect(seen('/sse').headers.authorization).toBeUndefined();
  });

  it('sends the head and a first event that came with it in one write: the client reads both at once', async () => {
    // The fake writes its head and first event together (one write), then waits for this client to see the event.
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    socket.setEncoding('latin1');
    const first = new Promise<string>((resolve) => socket.once('data', resolve));
    socket.write(`GET /vllm/sse-short HTTP/1.1\r\nhost: x\r\nauthorization: ${AUTH.authorization}\r\nconnection: close\r\n\r\n`);
    const text = await first;
    received();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain('data: {"n":1}');
    let rest = '';
    socket.on('data', (chunk: string) => (rest += chunk));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(rest).toContain('data: {"n":2}');
  });

  it('a client that disconnects mid-stream aborts the upstream request at once', async () => {
    const result = await readStream(`${proxy.url}/vllm/sse-long`, (_text, arrivals) => arrivals.length < 2);
    expect(result.ended).toBe(false);
    const disconnectedAt = performance.now();
    const fake = seen('/sse-long');
    await until(() => fake.aborted, 2_000);
    expect(performance.now() - disconnectedAt).toBeLessThan(1_000);
    // nowhere near the 100 events × 50 ms the fake would have sent
    expect(result.text.split('\n\n').length - 1).toBeLessThan(10);
  });

  it('an upstream reset mid-stream ends the client response as an error, never as a clean end', async () => {
    const result = await readStream(`${proxy.url}/vllm/sse-reset`);
    expect(result.status).toBe(200);
    expect(result.text).toContain('data: {"n":1}');
    expect(result.ended).toBe(false);
  });

  it('the same with fetch: reading the body rejects', async () => {
    const response = await fetch(`${proxy.url}/vllm/sse-reset`, { headers: AUTH });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });
});

describe('faults', () => {
  it('an upstream reset mid-body (content-length) reaches the client as an error', async () => {
    const result = await readStream(`${proxy.url}/vllm/reset`);
    expect(result.status).toBe(200);
    expect(result.ended).toBe(false);
    expect(result.text.length).toBeLessThan(200);
  });

  it('an upstream that never answers gets 504 JSON after --timeout 1', async () => {
    const started = performance.now();
    const answer = await http(`${proxy.url}/vllm/hang`, { headers: AUTH });
    const elapsed = performance.now() - started;
    const error = expectProxyError(answer, 504, { type: 'timeout_error' });
    expect(error.message).toMatch(/1s/);
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('an upstream nobody listens on gets 502 JSON', async () => {
    const error = expectProxyError(await http(`${proxy.url}/openai/v1/models`, { headers: AUTH }), 502, { type: 'upstream_error' });
    expect(error.message).toMatch(/ECONNREFUSED|refused/);
    expect(error.message).not.toContain(MASTER_KEY);
  });

  it('upstream 4xx and 5xx answers are relayed as they are: status, headers and body bytes', async () => {
    const teapot = await http(`${proxy.url}/vllm/teapot`, { headers: AUTH });
    expect(teapot.status).toBe(418);
    expect(teapot.body.equals(TEAPOT_BODY)).toBe(true);
    expect(teapot.headers['content-type']).toBe('application/problem+json');
    expect(teapot.headers['x-upstream-id']).toBe('tea-1');

    const boom = await http(`${proxy.url}/vllm/boom`, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/plain' }, body: 'x' });
    expect(boom.status).toBe(503);
    expect(boom.body.equals(BOOM_BODY)).toBe(true);
    expect(boom.headers['content-type']).toBe('application/octet-stream');
    expect(boom.headers['retry-after']).toBe('0');

    const unauthorized = await http(`${proxy.url}/vllm/unauthorized`, { headers: AUTH });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.json()).toEqual({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
  });

  it('an upstream 404 is relayed too (it is not the proxy\'s own route_not_found)', async () => {
    const answer = await http(`${proxy.url}/vllm/no/such/path`, { headers: AUTH });
    expect(answer.status).toBe(404);
    expect(answer.text).toBe('');
  });

  it('still serves after all of the above', async () => {
    expect((await http(`${proxy.url}/vllm/teapot`, { headers: AUTH })).status).toBe(418);
    expect((await http(`${proxy.url}/health/liveliness`)).status).toBe(200);
  });
});
