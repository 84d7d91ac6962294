// Storms of clients through `llmpass proxy` (heavy tier): 300 at once against a slow and against a hanging upstream.
// Concurrency is proven by what the upstream sees (all 300 in flight together), not by wall-clock time, and the
// upstream's answers wait on that rather than on a timer racing the proxy's timeout: so the test holds on a loaded machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hang, startFakeUpstream, type FakeHandler } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { exchange, openSockets, settlesTo } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-storms-master-5c21';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const CLIENTS = 300;
// The proxy's pool opens at most this many connections to one upstream (undici-client.ts); the rest queue in the pool.
const POOL_CONNECTIONS = 256;

/** Holds requests until `count` are in flight together, then lets them and all later ones through, each answered with its own `n`. */
function barrier(count: number): FakeHandler & { peak: () => number } {
  const waiting: Array<() => void> = [];
  let peak = 0;
  let open = false;
  const handler: FakeHandler = async (req, res) => {
    if (!open) {
      await new Promise<void>((release) => {
        waiting.push(release);
        peak = Math.max(peak, waiting.length);
        if (waiting.length >= count) {
          open = true;
          for (const go of waiting.splice(0)) go();
        }
      });
    }
    const body = JSON.stringify({ echo: req.query.get('n') });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  return Object.assign(handler, { peak: () => peak });
}

const slow = barrier(POOL_CONNECTIONS);
const routes: Record<string, FakeHandler> = { '/together': slow, '/hang': hang() };
let upstream: FakeServer;
// Two proxies: one whose timeout (30 s) no loaded machine reaches while 300 requests gather, one (1 s) for the hang.
let patient: ProxyCli;
let proxy: ProxyCli;

const start = (timeout: number) =>
  startProxyCli({ config: 'router_settings:\n  num_retries: 0\n', env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstream.url }, args: ['--timeout', String(timeout)] });

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res) => routes[req.path]!(req, res));
  [patient, proxy] = await Promise.all([start(30), start(1)]);
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

const get = (via: ProxyCli, path: string) => exchange(`${via.url}${path}`, { headers: AUTH });

describe('a slow upstream under many concurrent clients', () => {
  it('300 clients: as many in flight at the upstream together as the pool allows (256), each answered with exactly its own body', async () => {
    const outcomes = await Promise.all(Array.from({ length: CLIENTS }, (_, n) => get(patient, `/vllm/together?n=${n}`)));
    expect(slow.peak()).toBe(POOL_CONNECTIONS);
    outcomes.forEach((outcome, n) => {
      expect(outcome.status).toBe(200);
      expect(outcome.ended).toBe(true);
      expect(outcome.body.toString()).toBe(`{"echo":"${n}"}`);
    });
  });

  it('300 clients of an upstream that never answers: every one gets its 504, and the proxy lets go of the sockets', async () => {
    const outcomes = await Promise.all(Array.from({ length: CLIENTS }, () => get(proxy, '/vllm/hang')));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(504);
      expect(JSON.parse(outcome.body.toString())).toMatchObject({ error: { message: expect.stringMatching(/no answer within 1s/) } });
    }
    const sockets = await settlesTo(() => openSockets(proxy.child.pid!), 200, 10_000);
    expect(sockets).toBeLessThan(200);
  });
});
