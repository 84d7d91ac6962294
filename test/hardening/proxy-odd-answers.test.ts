// Upstream answers with a reason phrase or header bytes nothing downstream can write as they came (UTF-8, DEL,
// control bytes), or a status outside HTTP's: the proxy relays the status (or answers 502) and stays up; `call`
// prints a clean status line; the library resolves a Response or rejects with a typed error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passthrough } from '../../src/passthrough.ts';
import { LlmpassError } from '../../src/errors.ts';
import { toWebResponse } from '../../src/transport/reply.ts';
import { undiciClient } from '../../src/transport/undici-client.ts';
import { PassThrough } from 'node:stream';
import { assertBuilt, call } from '../support/cli.ts';
import { exchange } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { rawAnswer, startRawUpstream, type RawUpstream } from '../support/raw-upstream.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-odd-answers-7c1e';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const BODY = '{"ok":true}';
const framed = (statusLine: string | Buffer, extra: Array<string | Buffer> = []) =>
  rawAnswer(statusLine, ['content-type: application/json', `content-length: ${BODY.length}`, ...extra], BODY);

const ANSWERS: Record<string, Buffer> = {
  '/utf8-reason': framed(Buffer.from('HTTP/1.1 200 成功')),
  '/del-reason': framed('HTTP/1.1 200 O\x7fK'),
  '/escape-reason': framed('HTTP/1.1 200 \x1b[31mred\x01'),
  '/latin1-header': framed('HTTP/1.1 200 OK', [Buffer.from('x-odd: caf\xe9 ', 'latin1'), Buffer.from('x-utf8: 成功')]),
  '/status-600': framed('HTTP/1.1 600 Weird'),
};

let upstream: RawUpstream;
let proxy: ProxyCli;

beforeAll(async () => {
  assertBuilt();
  upstream = await startRawUpstream((path) => ({ bytes: ANSWERS[path] ?? framed('HTTP/1.1 404 Not Found'), after: 'end' }));
  proxy = await startProxyCli({ config: 'router_settings:\n  num_retries: 0\n', env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstream.url } });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

async function expectAlive(): Promise<void> {
  expect(proxy.child.exitCode, proxy.stderr).toBeNull();
  expect((await exchange(`${proxy.url}/health/liveliness`)).status).toBe(200);
}

describe('odd reason phrases and header bytes through the proxy', () => {
  it.each(['/utf8-reason', '/del-reason', '/escape-reason', '/latin1-header'])('%s: the status and body are relayed and the proxy stays up', async (path) => {
    const outcome = await exchange(`${proxy.url}/vllm${path}`, { headers: AUTH });
    expect([200, 502], outcome.body.toString()).toContain(outcome.status);
    if (outcome.status === 200) expect(outcome.body.toString()).toBe(BODY);
    expect(outcome.ended).toBe(true);
    await expectAlive();
  });

  it('a status outside 100-599 is a 502 that says so', async () => {
    const outcome = await exchange(`${proxy.url}/vllm/status-600`, { headers: AUTH });
    expect(outcome.status).toBe(502);
    expect(outcome.body.toString()).toMatch(/status 600, which is not an HTTP status/);
    await expectAlive();
  });

  it('a bad reason phrase is not relayed: the client sees a clean status line', async () => {
    const outcome = await exchange(`${proxy.url}/vllm/utf8-reason`, { headers: AUTH });
    expect(outcome.status).toBe(200);
    await expectAlive();
  });
});

describe('odd reason phrases in `call`', () => {
  it('--include and --verbose print the status without the unusable reason', async () => {
    for (const path of ['utf8-reason', 'escape-reason']) {
      const result = await call(tempDir(), ['hosted_vllm/m', path, '--api-base', upstream.url, '--retries', '0', '--include', '--verbose']);
      expect(result.code, result.stderr).toBe(0);
      const out = result.stdout.toString();
      expect(out.split('\n')[0]).toBe('HTTP/1.1 200');
      expect(result.stderr).toMatch(/^< HTTP 200$/m);
      expect(out + result.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]|成功/);
    }
  });

  it('a status outside 100-599 fails with one line naming it', async () => {
    const result = await call(tempDir(), ['hosted_vllm/m', 'status-600', '--api-base', upstream.url, '--retries', '0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/status 600, which is not an HTTP status/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('odd answers through the library', () => {
  const pool = undiciClient();
  afterAll(() => pool.close());

  it.each([
    ['node:http', undefined],
    ['undici', pool.client],
  ])('%s: an odd reason resolves with the status and no reason; status 600 rejects typed', async (_name, client) => {
    const options = (endpoint: string) => ({ model: 'hosted_vllm/m', endpoint, apiBase: upstream.url, ...(client ? { client } : {}) });
    for (const path of ['utf8-reason', 'del-reason', 'escape-reason']) {
      // Node's strict parser refuses some of these outright: that must be a typed error too.
      const res = await passthrough(options(path)).catch((error: unknown) => error);
      if (!(res instanceof Response)) {
        expect(res, path).toBeInstanceOf(LlmpassError);
        continue;
      }
      expect(res.status).toBe(200);
      expect(res.statusText).toBe('');
      expect(await res.text()).toBe(BODY);
    }
    await expect(passthrough(options('status-600'))).rejects.toBeInstanceOf(LlmpassError);
  });

  it('toWebResponse turns what a Response cannot hold into a typed error', () => {
    const reply = (status: number, headers: Array<[string, string]> = []) => ({ status, statusText: 'x\x7f', headers, body: new PassThrough() });
    expect(() => toWebResponse(reply(600))).toThrow(LlmpassError);
    expect(() => toWebResponse(reply(103))).toThrow(LlmpassError);
    expect(() => toWebResponse(reply(200, [['x-a', '成功']]))).toThrow(LlmpassError);
    expect(toWebResponse(reply(200)).statusText).toBe('');
  });
});
