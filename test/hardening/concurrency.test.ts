// 1,000 SSE streams at once through `llmpass proxy`, each different, each arriving byte-identical to what the
// upstream sent (sha256 compared), in a bounded time on two cores; afterwards the proxy holds no more sockets than
// before.
import { createHash } from 'node:crypto';
import { Agent, request } from 'undici';
import { startRawServer, type RawServer } from '../support/raw-server.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSockets, settlesTo } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const STREAMS = 1_000;
const EVENTS = 12;
const GAP_MS = 40;

/** Stream n's events: distinct per stream and per event, with a little weight. */
function eventsOf(n: number): string[] {
  return Array.from({ length: EVENTS }, (_, i) => `data: ${JSON.stringify({ stream: n, i, delta: `token-${n}-${i}-${'x'.repeat((n * 7 + i) % 97)}` })}\n\n`);
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

let upstream: RawServer;
let proxy: ProxyCli;
let served = 0;

beforeAll(async () => {
  // A bare server (not the recording fake) so the test process spends its CPU on the streams themselves; idle
  // connections are let go soon, so the proxy's pool empties quickly after the run.
  upstream = await startRawServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const n = (JSON.parse(body) as { stream: number }).stream;
      const events = eventsOf(n);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        const event = events[i++]!;
        if (i === events.length) {
          served++;
          res.end(event);
        } else {
          res.write(event);
          setTimeout(next, GAP_MS);
        }
      };
      next();
    });
  }, { keepAliveTimeout: 500 });
  proxy = await startProxyCli({
    config: 'router_settings:\n  num_retries: 0\n',
    env: { VLLM_API_BASE: `${upstream.url}/v1` },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

describe('1,000 concurrent SSE streams through the proxy', () => {
  it('each arrives byte-identical to what the upstream sent, all within a bounded time', async () => {
    const pid = proxy.child.pid!;
    const baseline = openSockets(pid);
    const agent = new Agent({ connections: STREAMS + 100, pipelining: 1, keepAliveTimeout: 1_000 });
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: STREAMS }, async (_, n) => {
        const response = await request(`${proxy.url}/vllm/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', stream: n, messages: [] }),
          dispatcher: agent,
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of response.body) {
          hash.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
        }
        return { n, status: response.statusCode, type: response.headers['content-type'], bytes, sha: hash.digest('hex') };
      }),
    );
    const elapsed = performance.now() - started;
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.type).toBe('text/event-stream');
      expect(result.sha, `stream ${result.n}`).toBe(sha256(eventsOf(result.n).join('')));
    }
    expect(served).toBe(STREAMS);
    // Each stream alone takes EVENTS × GAP_MS ≈ 0.5 s; all of them together, on two cores, well under 30 s.
    expect(elapsed).toBeLessThan(20_000);
    console.log(`${STREAMS} streams, ${results.reduce((sum, r) => sum + r.bytes, 0)} bytes, ${Math.round(elapsed)} ms`);

    await agent.close();
    // The clients and the upstream let their idle connections go: the proxy's sockets are back to where they were.
    const sockets = await settlesTo(() => openSockets(pid), baseline + 5, 10_000);
    expect(sockets).toBeLessThanOrEqual(baseline + 5);
    const lines = await proxy.waitForRequests(STREAMS, 10_000);
    expect(lines.filter((line) => line.status !== 200 || line.error !== undefined)).toEqual([]);
  }, 60_000);
});
