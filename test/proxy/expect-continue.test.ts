// `Expect: 100-continue` (curl's, before a body over 1 MiB): a request the proxy refuses before reading its body (no
// key, a JSON body over --max-json-body) is answered without 100 Continue, so its body is never sent and the client
// reads the answer instead of a reset; an accepted one gets 100 Continue when its body is read, then its answer.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER = 'sk-master-expect-3a9c';
let upstream: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  upstream = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  proxy = await startProxyCli({
    config: `model_list:\n  - model_name: m\n    litellm_params: { model: hosted_vllm/m-up, api_base: ${upstream.url} }\ngeneral_settings:\n  master_key: ${MASTER}\n`,
    args: ['--max-json-body', '1mb'],
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

interface Exchange {
  status: number;
  continued: boolean;
  body: string;
  connection: string | undefined;
}

/** A POST that waits for 100 Continue before sending `body`, as curl does. */
function expectingContinue(headers: Record<string, string>, body: Buffer): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const url = new URL('/vllm/classify', proxy.url);
    let continued = false;
    const req = request(url, { method: 'POST', headers: { expect: '100-continue', 'content-length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, continued, body: Buffer.concat(chunks).toString(), connection: res.headers.connection }));
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('error', reject);
  });
}

describe('Expect: 100-continue', () => {
  it('no key: 401 without 100 Continue, the body never sent, the connection not kept', async () => {
    const before = upstream.requests.length;
    const answer = await expectingContinue({ 'content-type': 'application/json' }, Buffer.from('{"model":"m","input":"x"}'));
    expect(answer).toMatchObject({ status: 401, continued: false, connection: 'close' });
    expect(upstream.requests.length).toBe(before);
  });

  it('a JSON body over --max-json-body: 413 without 100 Continue', async () => {
    const answer = await expectingContinue({ 'content-type': 'application/json', authorization: `Bearer ${MASTER}` }, Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(answer).toMatchObject({ status: 413, continued: false });
  });

  it('a request it serves: 100 Continue, then the body, then the answer', async () => {
    const answer = await expectingContinue({ 'content-type': 'application/json', authorization: `Bearer ${MASTER}` }, Buffer.from('{"model":"m","input":"x"}'));
    expect(answer).toMatchObject({ status: 200, continued: true, body: '{"ok":true}' });
    expect(upstream.requests.at(-1)!.json).toEqual({ model: 'm-up', input: 'x' });
  });
});
