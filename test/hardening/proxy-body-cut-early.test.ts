// An upstream body that fails before its first byte reached the client: the proxy still holds the head, so the
// client gets a clean 502 saying why (not an empty 200) and the access log records 502 at warn. An event stream's
// head goes out at once (its client opens on it): cut before its first event, it is broken and recorded as 502.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, type Outcome } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { expectProxyError } from '../support/proxy-error.ts';
import { rawAnswer, startRawUpstream, type RawUpstream } from '../support/raw-upstream.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-cut-early-2c84';

let upstream: RawUpstream;
let proxy: ProxyCli;

beforeAll(async () => {
  upstream = await startRawUpstream((path) => {
    if (path.endsWith('/length')) return { bytes: rawAnswer('HTTP/1.1 200 OK', ['content-type: application/json', 'content-length: 100']), after: 'destroy' };
    if (path.endsWith('/framing')) return { bytes: rawAnswer('HTTP/1.1 200 OK', ['content-type: application/json', 'transfer-encoding: chunked'], 'zz\r\n{}\r\n'), after: 'destroy' };
    if (path.endsWith('/sse')) return { bytes: rawAnswer('HTTP/1.1 200 OK', ['content-type: text/event-stream', 'transfer-encoding: chunked']), after: 'destroy' };
    return { bytes: rawAnswer('HTTP/1.1 200 OK', ['content-type: application/json', 'content-length: 2'], '{}'), after: 'keep' };
  });
  proxy = await startProxyCli({ config: 'router_settings:\n  num_retries: 0\n', env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstream.url } });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

let made = 0;

/** A request and its access-log line (requests run one at a time, so the n-th line is the n-th request's). */
async function get(path: string): Promise<{ outcome: Outcome; line: Record<string, unknown> }> {
  const index = made++;
  const outcome = await exchange(`${proxy.url}/vllm/${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  return { outcome, line: (await proxy.waitForRequests(index + 1))[index]! };
}

describe('an upstream body that fails before its first byte', () => {
  it.each(['length', 'framing'])('%s: a clean 502 naming the failure, logged as 502 at warn', async (path) => {
    const { outcome, line } = await get(path);
    expectProxyError(outcome, 502);
    expect(outcome.ended).toBe(true);
    expect(line.status).toBe(502);
    expect(line.level).toBe(40);
  });

  it('an event stream cut before its first event: broken for the client, logged as 502 at warn', async () => {
    const { outcome, line } = await get('sse');
    expect(outcome.status).toBe(200);
    expect(outcome.ended).toBe(false);
    expect(line.status).toBe(502);
    expect(line.level).toBe(40);
  });

  it('a whole answer still goes through', async () => {
    const { outcome, line } = await get('whole');
    expect(outcome.status).toBe(200);
    expect(outcome.body.toString()).toBe('{}');
    expect(line.status).toBe(200);
  });
});
