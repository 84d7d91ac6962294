import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions, OutgoingRequest } from '../../src/transport/http-client.ts';
import { undiciClient } from '../../src/transport/undici-client.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

function options(signal: AbortSignal, timeoutMs = 5000): ClientOptions {
  return { signal, timeoutMs, onTimeout: (phase) => new Error(`timeout: ${phase}`) };
}

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of body) void _;
}

describe('undiciClient', () => {
  // One connection to the origin: a second request waits in the pool's queue until the first is answered.
  async function onePooledConnection() {
    let connections = 0;
    server = createServer((req, res) => setTimeout(() => res.end('ok'), req.url === '/slow' ? 300 : 0));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = (path: string): OutgoingRequest => ({ method: 'GET', url: new URL(base + path), headers: [], body: undefined });
    return { pool: undiciClient({ connectionsPerOrigin: 1 }), get, connections: () => connections };
  }

  it('a request aborted while it waits for a pooled connection leaves the queue and costs no connection', async () => {
    const { pool, get, connections } = await onePooledConnection();
    const slow = pool.client(get('/slow'), options(new AbortController().signal)).then((reply) => drain(reply.body));
    const caller = new AbortController();
    const queued = pool.client(get('/queued'), options(caller.signal));
    setTimeout(() => caller.abort(new Error('client gone')), 50);
    await expect(queued).rejects.toThrow('client gone');
    await slow;
    await drain((await pool.client(get('/after'), options(new AbortController().signal))).body);
    expect(connections()).toBe(1);
    await pool.close();
  });

  it('the header deadline counts queueing: a queued request times out, and the connection is kept', async () => {
    const { pool, get, connections } = await onePooledConnection();
    const slow = pool.client(get('/slow'), options(new AbortController().signal)).then((reply) => drain(reply.body));
    await expect(pool.client(get('/queued'), options(new AbortController().signal, 100))).rejects.toThrow('timeout: headers');
    await slow;
    await drain((await pool.client(get('/after'), options(new AbortController().signal))).body);
    expect(connections()).toBe(1);
    await pool.close();
  });
});
