// An upstream's error answer that echoes what the proxy sent (its key, an extra_headers token, the api_base's
// userinfo and `?code=`) reaches the client with every one of them masked, in the body (plain, chunked, gzip-coded,
// and past the 64 KiB bound, where it is cut and says so) and in the headers; a 2xx streams through untouched.
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MASKED_BODY_BYTES } from '../../src/transport/masked-reply.ts';
import { exchange, type Outcome } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { startRawServer, type RawServer } from '../support/raw-server.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-echo-master-7f31';
const SECRET = { key: 'sk-echo-93b0e7d4c1a5f268', header: 'hdr-5b18f0c3e7a2d964', code: 'fnkey-A8d3F0c2E9b7', user: 'svc-echo', pass: 'pw-e41f7a0c9d3b2856' };

let upstream: RawServer;
let proxy: ProxyCli;

/** What the upstream was sent, as a careless upstream quotes it in an error. */
function echo(req: IncomingMessage): string {
  return `invalid credentials: ${req.url} ${JSON.stringify(req.headers)}`;
}

const answers: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  length: (req, res) => {
    const body = JSON.stringify({ error: echo(req) });
    res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  },
  chunked: (req, res) => {
    res.writeHead(403, { 'content-type': 'text/plain' });
    const text = echo(req);
    // The key split across two chunks.
    const cut = text.indexOf(SECRET.key) + 6;
    res.write(text.slice(0, cut));
    setTimeout(() => res.end(text.slice(cut)), 20);
  },
  gzip: (req, res) => {
    const body = gzipSync(JSON.stringify({ error: echo(req) }));
    res.writeHead(401, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length }).end(body);
  },
  header: (_req, res) => {
    res.writeHead(401, { 'www-authenticate': `Bearer error="invalid_token ${SECRET.key}"`, location: `/gw?code=${SECRET.code}`, 'content-length': 0 }).end();
  },
  big: (req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    const head = `${echo(req)} `;
    // The key again across the bound, where the relayed part ends.
    const filler = 'x'.repeat(MAX_MASKED_BODY_BYTES - head.length - 10);
    res.write(head + filler);
    res.end(`${SECRET.key} and more ${'y'.repeat(40_000)}`);
  },
  // An upstream that cuts its message at a fixed length, the key with it.
  truncated: (_req, res) => {
    const body = JSON.stringify({ error: `invalid api key: ${SECRET.key.slice(0, -3)}` });
    res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  },
  ok: (req, res) => {
    const body = JSON.stringify({ echoed: echo(req) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  },
};

beforeAll(async () => {
  upstream = await startRawServer((req, res) => {
    req.resume();
    const mode = new URL(req.url!, 'http://x').pathname.split('/').pop()!;
    answers[mode]!(req, res);
  });
  const port = new URL(upstream.url).port;
  proxy = await startProxyCli({
    config: [
      'model_list:',
      '  - model_name: echo',
      '    litellm_params:',
      '      model: hosted_vllm/m',
      `      api_base: http://${SECRET.user}:${SECRET.pass}@127.0.0.1:${port}/gw?code=${SECRET.code}`,
      '      api_key: os.environ/ECHO_KEY',
      '      extra_headers: { x-tenant-token: "Token ${ECHO_HEADER}" }',
      'router_settings:',
      '  num_retries: 0',
      '',
    ].join('\n'),
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, ECHO_KEY: SECRET.key, ECHO_HEADER: SECRET.header },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

/** Requests sent so far: each has its access-log line once the proxy has logged it. */
let sent = 0;
const call = (mode: string, headers: Record<string, string> = {}) => {
  sent++;
  return exchange(`${proxy.url}/vllm/${mode}`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'echo' }) });
};

function expectMasked(outcome: Outcome): void {
  const seen = `${JSON.stringify(outcome.headers)} ${outcome.body.toString('latin1')}`;
  for (const [name, value] of Object.entries(SECRET).filter(([name]) => name !== 'user')) expect(seen, name).not.toContain(value);
  // The Basic credentials as sent, base64.
  expect(seen).not.toContain(Buffer.from(`${SECRET.user}:${SECRET.pass}`).toString('base64'));
  expect(seen).toContain('***');
}

describe('an upstream error that echoes the credentials the proxy added', () => {
  it('a 401 with content-length: every credential masked, the length fixed, the rest as sent', async () => {
    const outcome = await call('length');
    expect(outcome.status).toBe(401);
    expect(outcome.ended).toBe(true);
    expectMasked(outcome);
    expect(Number(outcome.headers['content-length'])).toBe(outcome.body.length);
    expect(JSON.parse(outcome.body.toString()).error).toMatch(/^invalid credentials: \/gw\/length\?code=\*\*\*/);
  });

  it('a 401 quoting the key cut short: the part it quotes is masked too', async () => {
    const outcome = await call('truncated');
    expect(outcome.status).toBe(401);
    expect(JSON.parse(outcome.body.toString()).error).toBe('invalid api key: ***');
  });

  it('a chunked 403 with the key split across chunks', async () => {
    const outcome = await call('chunked');
    expect(outcome.status).toBe(403);
    expect(outcome.ended).toBe(true);
    expectMasked(outcome);
  });

  it('a gzip-coded 401 (the client asked for gzip): decoded, masked, sent plain', async () => {
    const outcome = await call('gzip', { 'accept-encoding': 'gzip' });
    expect(outcome.status).toBe(401);
    expect(outcome.headers['content-encoding']).toBeUndefined();
    expectMasked(outcome);
    expect(JSON.parse(outcome.body.toString()).error).toContain('invalid credentials');
  });

  it('credentials in the answer\'s headers', async () => {
    const outcome = await call('header');
    expect(outcome.status).toBe(401);
    expect(outcome.headers['www-authenticate']).toBe('Bearer error="invalid_token ***"');
    expectMasked(outcome);
  });

  it('a body past the bound: its first 64 KiB masked, a key cut at the bound dropped, and the cut said', async () => {
    const outcome = await call('big');
    expect(outcome.status).toBe(500);
    expect(outcome.ended).toBe(true);
    expectMasked(outcome);
    expect(outcome.body.toString('latin1')).not.toContain(SECRET.key.slice(0, 8));
    expect(outcome.body.length).toBeLessThanOrEqual(MAX_MASKED_BODY_BYTES);
    expect(outcome.headers['x-llmpass-body-cut']).toMatch(/bytes relayed/);
    const line = (await proxy.waitForRequests(sent)).find((entry) => entry.status === 500);
    expect(String(line?.error)).toMatch(/cut to mask credentials/);
  });

  it('a 2xx is relayed byte for byte, as streamed', async () => {
    const outcome = await call('ok');
    expect(outcome.status).toBe(200);
    expect(Number(outcome.headers['content-length'])).toBe(outcome.body.length);
    expect(outcome.body.toString()).toContain(SECRET.key);
  });
});
