// Storms of clients through `llmpass proxy` (heavy tier): 300 at once against a slow and against a hanging upstream.
// Concurrency is proven by what the upstream sees (all 300 in flight together), not by wall-clock time, so the test
// holds on a loaded machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hang, startFakeUpstream, type FakeHandler } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { exchange, openFds, settlesTo } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-storms-master-5c21';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const CLIENTS = 300;

/** Holds every request until `count` are in flight together, then answers each with its own `n`. */
function barrier(count: number): FakeHandler & { peak: () => number } {
  const waiting: Array<() => void> = [];
  let peak = 0;
  const handler: FakeHandler = async (req, res) => {
    await new Promise<void>((release) => {
      waiting.push(release);
      peak = Math.max(peak, waiting.length);
      if (waiting.length >= count) for (const go of waiting.splice(0)) go();
    });
    const body = JSON.stringify({ echo: req.query.get('n') });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  return Object.assign(handler, { peak: () => peak });
}

const slow = barrier(CLIENTS);
const routes: Record<string, FakeHandler> = { '/together': slow, '/hang': hang() };
let upstream: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res) => routes[req.path]!(req, res));
  proxy = await startProxyCli({
    config: 'router_settings:\n  num_retries: 0\n',
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstream.url },
    args: ['--timeout', '1'],
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

const get = (path: string) => exchange(`${proxy.url}${path}`, { headers: AUTH });

describe('a slow upstream under many concurrent clients', () => {
  it('300 clients, all in flight at the upstream together (no connection cap), each answered with exactly its own body', async () => {
    const outcomes = await Promise.all(Array.from({ length: CLIENTS }, (_, n) => get(`/vllm/together?n=${n}`)));
    expect(slow.peak()).toBe(CLIENTS);
    outcomes.forEach((outcome, n) => {
      expect(outcome.status).toBe(200);
      expect(outcome.ended).toBe(true);
      expect(outcome.body.toString()).toBe(`{"echo":"${n}"}`);
    });
  });

  it('300 clients of an upstream that never answers: every one reached it and got its 504; the proxy lets go of the sockets', async () => {
    const before = upstream.requests.length;
    const outcomes = await Promise.all(Array.from({ length: CLIENTS }, () => get('/vllm/hang')));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(504);
      expect(JSON.parse(outcome.body.toString())).toMatchObject({ error: { message: expect.stringMatching(/no answer within 1s/) } });
    }
    // None waited behind a cap: each was sent upstream, so each 504 is its own timeout.
    expect(upstream.requests.length - before).toBe(CLIENTS);
    const fds = await settlesTo(() => openFds(proxy.child.pid!), 200, 10_000);
    expect(fds).toBeLessThan(200);
  });
});
