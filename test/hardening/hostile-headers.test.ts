// Hostile headers: CR, LF or NUL in a header from any source (`--header`, the config, its environment, a proxy
// client, an upstream) is refused with a clear one-line error and never reaches the wire; oversized headers get 431;
// hop-by-hop smuggling (Connection-named headers, duplicate content-length, transfer-encoding with content-length,
// unknown transfer codings, trailers) is rejected or neutralised in both directions.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { Router } from '../../src/router/router.ts';
import { echo, startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { assertBuilt, baseEnv, call, stackLines, type CliResult } from '../support/cli.ts';
import { exchange } from '../support/outcome.ts';
import { rawExchange, startProxyCli, stopAllProxies, type ProxyCli, type ProxyErrorBody } from '../support/proxy.ts';
import { cleanupTemp, tempConfig, tempDir } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-headers-master-9f3a';

let upstream: FakeServer;
let trailers: Array<{ headers: string[]; trailers: string[] }> = [];
let trailerServer: ReturnType<typeof createHttpServer>;
let rawUpstream: Server;
let proxy: ProxyCli;

/** Answers crafted by hand, byte for byte, for what no HTTP library would send. */
const RAW_REPLIES: Record<string, string> = {
  'te-and-cl': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!',
  'nul-value': 'HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 5\r\n\r\nhello',
  'cr-injection': 'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: injected=1\r\nContent-Length: 5\r\n\r\nhello',
  'lf-injection': 'HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: injected=1\r\nContent-Length: 5\r\n\r\nhello',
};

beforeAll(async () => {
  assertBuilt();
  upstream = await startFakeUpstream(echo());
  trailerServer = createHttpServer((req, res) => {
    req.resume();
    req.once('end', () => {
      trailers.push({ headers: req.rawHeaders, trailers: req.rawTrailers });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => trailerServer.listen(0, '127.0.0.1', resolve));
  rawUpstream = createNetServer((socket) => {
    let pending = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) return;
      const path = pending.split(' ')[1]!.split('/').at(-1)!;
      pending = pending.slice(end + 4);
      socket.write(RAW_REPLIES[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => rawUpstream.listen(0, '127.0.0.1', resolve));
  proxy = await startProxyCli({
    config: `router_settings:
  num_retries: 0
model_list:
  - model_name: env-injected
    litellm_params:
      model: hosted_vllm/m
      api_base: ${upstream.url}
      extra_headers:
        x-team: os.environ/TEAM_HEADER
general_settings:
  master_key: os.environ/MASTER
`,
    env: {
      MASTER: MASTER_KEY,
      TEAM_HEADER: 'a\r\nx-injected: 1',
      VLLM_API_BASE: upstream.url,
      OPENAI_API_BASE: `http://127.0.0.1:${(trailerServer.address() as AddressInfo).port}/v1`,
      COHERE_API_BASE: `http://127.0.0.1:${(rawUpstream.address() as AddressInfo).port}`,
    },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  trailerServer?.close();
  rawUpstream?.close();
  cleanupTemp();
});

function expectOneLine(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stackLines(result.stderr)).toEqual([]);
}

const head = (lines: string[]) => [lines[0]!, `Host: ${new URL(proxy.url).host}`, `Authorization: Bearer ${MASTER_KEY}`, ...lines.slice(1), 'Connection: close'];
const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

describe('CR, LF and NUL in headers are refused, from every source', () => {
  it('call --header with CR LF or LF in the value, or in the name: exit 2 in one line, nothing sent', async () => {
    const before = upstream.requests.length;
    const cases = ['X-A: a\r\nX-Injected: 1', 'X-A: a\nX-Injected: 1', 'X-A: a\rb', 'X-A\r\nX-Injected: 1: v', 'X A: v'];
    for (const header of cases) {
      const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', upstream.url, '--header', header, '--json', '{}']);
      expectOneLine(result, 2, /^llmpass: header: .*(contains CR, LF or NUL|is not a valid header name)/);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('a config extra_headers value or name with CR or LF: exit 2 at load, naming the file and the path', async () => {
    for (const [name, value] of [['x-a', '"a\\r\\nx-injected: 1"'], ['x-a', '"a\\nb"'], ['"x a"', 'v'], ['x-nul', '"a\\0b"']]) {
      const dir = tempConfig(`model_list:\n  - model_name: m\n    litellm_params:\n      model: hosted_vllm/m\n      api_base: ${upstream.url}\n      extra_headers:\n        ${name}: ${value}\n`);
      const result = await call(dir, ['m', 'x', '--json', '{}']);
      expectOneLine(result, 2, /^llmpass: llmpass\.config\.yaml: model_list\[0\]\.litellm_params\.extra_headers\.\S.*(CR, LF or NUL|not a valid header name)/);
    }
  });

  it('an extra_headers value from the environment with CR LF: exit 2 in one line, nothing sent', async () => {
    const before = upstream.requests.length;
    const dir = tempConfig(`model_list:\n  - model_name: m\n    litellm_params:\n      model: hosted_vllm/m\n      api_base: ${upstream.url}\n      extra_headers:\n        x-team: os.environ/TEAM_HEADER\n`);
    const result = await call(dir, ['m', 'x', '--json', '{}'], { env: baseEnv({ TEAM_HEADER: 'a\r\nx-injected: 1' }) });
    expectOneLine(result, 2, /^llmpass: extra_headers of m: the value of header "x-team" contains CR, LF or NUL$/);
    expect(upstream.requests.length).toBe(before);
  });

  it('the library refuses NUL, CR and LF in a header value before sending', async () => {
    const before = upstream.requests.length;
    const router = new Router({ modelList: [{ model_name: 'm', litellm_params: { model: 'hosted_vllm/m', api_base: upstream.url } }], numRetries: 0 });
    for (const value of ['a\u0000b', 'a\rb', 'a\nb']) {
      await expect(router.passthrough({ model: 'm', endpoint: 'x', headers: { 'x-a': value } })).rejects.toThrow(UsageError);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('the proxy: a deployment header from the environment with CR LF is a 500 naming it (a server fault, not the client\'s), nothing sent', async () => {
    const before = upstream.requests.length;
    const answer = await exchange(`${proxy.url}/vllm/classify`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: '{"model":"env-injected"}' });
    expect(answer.status).toBe(500);
    const body = JSON.parse(answer.body.toString()) as ProxyErrorBody;
    expect(body.error.message).toBe('extra_headers of env-injected: the value of header "x-team" contains CR, LF or NUL');
    expect(upstream.requests.length).toBe(before);
  });

  it('the proxy: a client header with NUL, a bare CR, an obs-fold or a space before the colon is a 400, nothing sent', async () => {
    const before = upstream.requests.length;
    for (const bad of ['X-A: a\u0000b', 'X-A: a\rb', 'X-A: a\r\n folded', 'X-A : v', 'X\u0000A: v']) {
      const answer = await rawExchange(proxy.url, head(['GET /vllm/x HTTP/1.1', bad]));
      expect(statusOf(answer), JSON.stringify(bad)).toBe(400);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('the proxy: an upstream answer with NUL, CR or LF inside a header is a 502, never relayed', async () => {
    for (const path of ['nul-value', 'cr-injection', 'lf-injection']) {
      const answer = await exchange(`${proxy.url}/cohere/${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect(answer.status, path).toBe(502);
      expect(JSON.stringify(answer.headers)).not.toContain('injected');
    }
  });
});

describe('oversized headers', () => {
  it('one header over 32 KiB, or thousands of small ones: 431, nothing sent', async () => {
    const before = upstream.requests.length;
    const big = await rawExchange(proxy.url, head(['GET /vllm/x HTTP/1.1', `X-Big: ${'a'.repeat(40_000)}`]));
    expect(statusOf(big)).toBe(431);
    const many = await rawExchange(proxy.url, head(['GET /vllm/x HTTP/1.1', ...Array.from({ length: 3_000 }, (_, i) => `X-H${i}: ${i}`)]));
    expect(statusOf(many)).toBe(431);
    expect(upstream.requests.length).toBe(before);
  });
});

describe('hop-by-hop smuggling', () => {
  it('headers named in Connection (a credential, content-type, a custom one) never go upstream', async () => {
    const before = upstream.requests.length;
    const answer = await rawExchange(proxy.url, [
      'POST /vllm/x HTTP/1.1', 'Host: x', `x-api-key: ${MASTER_KEY}`, 'Connection: close, x-api-key, x-route, content-type',
      'x-route: internal-admin', 'Content-Type: text/plain', 'Content-Length: 2', 'x-kept: yes',
    ], ['hi']);
    expect(statusOf(answer)).toBe(200);
    const seen = upstream.requests.slice(before);
    expect(seen).toHaveLength(1);
    const names = seen[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    expect(names).not.toContain('x-api-key');
    expect(names).not.toContain('x-route');
    expect(names).toContain('x-kept');
    expect(JSON.stringify(seen[0]!.rawHeaders)).not.toContain(MASTER_KEY);
  });

  it('duplicate content-length (equal or not), transfer-encoding with content-length, a hidden second request: 400, nothing sent', async () => {
    const before = upstream.requests.length;
    const cases: Array<[string[], string]> = [
      [['POST /vllm/x HTTP/1.1', 'Content-Length: 2', 'Content-Length: 2'], '{}'],
      [['POST /vllm/x HTTP/1.1', 'Content-Length: 2', 'Content-Length: 40'], '{}'],
      [['POST /vllm/x HTTP/1.1', 'Content-Length: 44', 'Transfer-Encoding: chunked'], '0\r\n\r\nGET /vllm/admin HTTP/1.1\r\nHost: x\r\n\r\n'],
      [['POST /vllm/x HTTP/1.1', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], '0\r\n\r\n'],
      [['POST /vllm/x HTTP/1.1', 'Transfer-Encoding: chunked, identity'], '0\r\n\r\n'],
    ];
    for (const [lines, body] of cases) {
      const answer = await rawExchange(proxy.url, head(lines), [body]);
      expect(statusOf(answer), lines.join(' | ')).toBe(400);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('a transfer coding other than chunked (gzip, chunked; xchunked) is refused with 501, nothing sent', async () => {
    const before = upstream.requests.length;
    for (const coding of ['gzip, chunked', 'xchunked']) {
      const answer = await rawExchange(proxy.url, head(['POST /vllm/x HTTP/1.1', `Transfer-Encoding: ${coding}`, 'Content-Type: text/plain']), ['2\r\nhi\r\n0\r\n\r\n']);
      expect(statusOf(answer), coding).toBe(501);
      expect(answer).toContain('transfer-encoding');
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('Upgrade is not forwarded: the answer is plain HTTP, and the upstream sees no upgrade', async () => {
    const before = upstream.requests.length;
    const answer = await rawExchange(proxy.url, [
      'GET /vllm/x HTTP/1.1', 'Host: x', `Authorization: Bearer ${MASTER_KEY}`, 'Connection: Upgrade', 'Upgrade: websocket',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13',
    ], [], 1_000);
    expect(statusOf(answer)).toBe(200);
    const seen = upstream.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.upgrade).toBeUndefined();
    expect(seen[0]!.headers.connection ?? '').not.toMatch(/upgrade/i);
  });

  it('request trailers (a key smuggled after the body) never go upstream', async () => {
    trailers = [];
    const answer = await rawExchange(
      proxy.url,
      head(['POST /openai/v1/files HTTP/1.1', 'Transfer-Encoding: chunked', 'Content-Type: application/octet-stream', 'Trailer: X-Api-Key']),
      ['2\r\nhi\r\n0\r\nX-Api-Key: smuggled-key\r\nAuthorization: Bearer smuggled\r\n\r\n'],
    );
    expect(statusOf(answer)).toBe(200);
    expect(trailers).toHaveLength(1);
    expect(trailers[0]!.trailers).toEqual([]);
    expect(JSON.stringify(trailers[0])).not.toContain('smuggled');
  });

  it('an upstream answer with transfer-encoding and content-length, or two content-lengths: 502, never relayed', async () => {
    for (const path of ['te-and-cl', 'two-lengths']) {
      const answer = await exchange(`${proxy.url}/cohere/${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect(answer.status, path).toBe(502);
      expect(answer.body.toString()).not.toContain('hello');
    }
  });
});
