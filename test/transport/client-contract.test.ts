// One contract, both HTTP clients: what a reader of `reply.body` sees is the same typed failure whichever client
// sent the request (node:http for one-shot commands, undici's pool for the proxy and batches).
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortedError, LlmpassError, NetworkError, UpstreamTimeoutError } from '../../src/errors.ts';
import { nodeHttpClient, type HttpClient } from '../../src/transport/http-client.ts';
import { toWebResponse } from '../../src/transport/reply.ts';
import { undiciClient } from '../../src/transport/undici-client.ts';
import { cutShort, flood, floodSha256, stallAfter, type FloodProgress } from '../fixtures/faults.ts';
import { hang, resetBeforeHeaders, resetMidBody, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { fakeUpstreams } from '../support/upstreams.ts';
import { rawAnswer, startRawUpstream } from '../support/raw-upstream.ts';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UpstreamReply } from '../../src/core/reply.ts';

const upstream = fakeUpstreams(() => status(200, 'ok'));
const pool = undiciClient();
afterAll(() => pool.close());

const CLIENTS: Array<[string, HttpClient]> = [
  ['node:http client', nodeHttpClient],
  ['undici pooled client', pool.client],
];

/** What reading the whole body came to: its bytes, or the error it failed with. */
async function readAll(reply: UpstreamReply): Promise<{ bytes: Buffer } | { error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of reply.body) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks) };
  } catch (error) {
    return { error };
  }
}

async function bodyFailure(reply: UpstreamReply): Promise<unknown> {
  const read = await readAll(reply);
  if ('bytes' in read) throw new Error(`the body ended cleanly (${read.bytes.length} bytes)`);
  return read.error;
}

function expectTyped(error: unknown, type: new (...args: never[]) => LlmpassError, message: RegExp): void {
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(message);
}

/** A port where nothing listens: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(CLIENTS)('%s', (_name, client) => {
  const never = new AbortController().signal;
  const send = async (handler: FakeHandler, options: { timeoutMs?: number; signal?: AbortSignal; path?: string } = {}) => {
    const server = await upstream(handler);
    return client(
      { method: 'GET', url: new URL(`${server.url}${options.path ?? '/v1/models'}`), headers: [], body: undefined },
      { signal: options.signal ?? never, timeoutMs: options.timeoutMs ?? 10_000 },
    );
  };

  it('relays the status, its reason, and every header in order, repeated names kept', async () => {
    const reply = await send((_req, res) => {
      res.statusMessage = 'Made It';
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('X-Custom', 'yes');
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end('hello');
    });
    expect(reply.status).toBe(201);
    expect(reply.statusText).toBe('Made It');
    expect(reply.headers.filter(([name]) => name === 'set-cookie')).toEqual([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
    expect(reply.headers).toContainEqual(['x-custom', 'yes']);
    expect(reply.headers).toContainEqual(['content-type', 'text/plain']);
    expect(await readAll(reply)).toEqual({ bytes: Buffer.from('hello') });
  });

  it('connection refused: a NetworkError that says so', async () => {
    const port = await closedPort();
    const sent = client({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/v1/models`), headers: [], body: undefined }, { signal: never, timeoutMs: 10_000 });
    const error = await sent.then(() => undefined, (caught: unknown) => caught);
    expectTyped(error, NetworkError, new RegExp(`\\[GET\\] "http://127.0.0.1:${port}/v1/models": connection refused`));
  });

  it('a reset before the headers: a NetworkError', async () => {
    const error = await send(resetBeforeHeaders()).then(() => undefined, (caught: unknown) => caught);
    expectTyped(error, NetworkError, /^\[GET\] "http:\/\/127\.0\.0\.1:\d+\/v1\/models": /);
  });

  it('a reset after the headers: the body fails with a NetworkError, "cut short"', async () => {
    const reply = await send(resetMidBody(100));
    expect(reply.status).toBe(200);
    expectTyped(await bodyFailure(reply), NetworkError, /^\[GET\] "http:\/\/127\.0\.0\.1:\d+\/v1\/models": .*the response was cut short$/);
  });

  it('a library reader (the web Response) gets the same typed failure: res.text() rejects with a NetworkError', async () => {
    const response = toWebResponse(await send(resetMidBody(100)));
    expectTyped(await response.text().then(() => undefined, (caught: unknown) => caught), NetworkError, /the response was cut short$/);
  });

  it('a chunked body that breaks its framing (a chunk size not in hex): the body fails with a NetworkError, "cut short"', async () => {
    const raw = await startRawUpstream(() => ({ bytes: rawAnswer('HTTP/1.1 200 OK', ['transfer-encoding: chunked'], '5\r\nhello\r\nzz\r\nx\r\n'), after: 'end' }));
    try {
      const reply = await client({ method: 'GET', url: new URL(`${raw.url}/v1/models`), headers: [], body: undefined }, { signal: never, timeoutMs: 10_000 });
      expectTyped(await bodyFailure(reply), NetworkError, /the response was cut short$/);
      // and a library reader, through the web Response
      const again = toWebResponse(await client({ method: 'GET', url: new URL(`${raw.url}/v1/models`), headers: [], body: undefined }, { signal: never, timeoutMs: 10_000 }));
      expectTyped(await again.text().then(() => undefined, (caught: unknown) => caught), NetworkError, /the response was cut short$/);
    } finally {
      await raw.close();
    }
  });

  it('a 101 Switching Protocols to a plain request: a NetworkError, never a promise left unsettled', async () => {
    const raw = await startRawUpstream(() => ({ bytes: rawAnswer('HTTP/1.1 101 Switching Protocols', ['upgrade: websocket', 'connection: upgrade'], 'raw bytes'), after: 'keep' }));
    try {
      const error = await client({ method: 'GET', url: new URL(`${raw.url}/v1/models`), headers: [], body: undefined }, { signal: never, timeoutMs: 10_000 }).then(() => undefined, (caught: unknown) => caught);
      expectTyped(error, NetworkError, /^\[GET\] "http:\/\/127\.0\.0\.1:\d+\/v1\/models": /);
    } finally {
      await raw.close();
    }
  });

  it('a body cut short of its content-length by a clean close: a NetworkError, never a quiet end', async () => {
    const reply = await send(cutShort(100));
    expectTyped(await bodyFailure(reply), NetworkError, /the response was cut short$/);
  });

  it('no headers within the timeout: an UpstreamTimeoutError', async () => {
    const error = await send(hang(), { timeoutMs: 200 }).then(() => undefined, (caught: unknown) => caught);
    expectTyped(error, UpstreamTimeoutError, /^\[GET\] "http:\/\/127\.0\.0\.1:\d+\/v1\/models": no answer within 0\.2s/);
  });

  it('a body silent for the timeout: the body fails with an UpstreamTimeoutError', async () => {
    const reply = await send(stallAfter('first'), { timeoutMs: 500 });
    expectTyped(await bodyFailure(reply), UpstreamTimeoutError, /the response went silent for 0\.5s and was cut/);
  });

  it('a timeout past what a timer holds (99999999 s, "never") does not strike at once', async () => {
    const reply = await send((_req, res) => void setTimeout(() => res.end('late but fine'), 100), { timeoutMs: 99_999_999_000 });
    expect(await readAll(reply)).toEqual({ bytes: Buffer.from('late but fine') });
  });

  it('the caller aborting before the headers: an AbortedError', async () => {
    const caller = new AbortController();
    const sent = send(hang(), { signal: caller.signal });
    setTimeout(() => caller.abort(), 50);
    expectTyped(await sent.then(() => undefined, (caught: unknown) => caught), AbortedError, /aborted/);
  });

  it('the caller aborting mid-body: the body fails with an AbortedError', async () => {
    const caller = new AbortController();
    const reply = await send(stallAfter('first'), { signal: caller.signal });
    const failed = bodyFailure(reply);
    caller.abort();
    expectTyped(await failed, AbortedError, /aborted/);
  });

  it('a large body flows with backpressure: a reader that stops holds the upstream back, then gets every byte', async () => {
    const total = 64 * 1024 * 1024;
    const progress: FloodProgress = { written: 0, done: false };
    const reply = await send(flood(total, progress));
    // Nobody reads for a while: what was sent stays within socket and stream buffers, far from the whole.
    await sleep(300);
    expect(progress.written).toBeLessThan(16 * 1024 * 1024);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of reply.body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    expect(size).toBe(total);
    expect(hash.digest('hex')).toBe(floodSha256(total));
  });
});
