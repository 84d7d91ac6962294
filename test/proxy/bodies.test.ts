// Bodies that are not rewritten flow through untouched: a binary upload streamed byte for byte, and compressed
// upstream answers passed on with their content-encoding.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { startVllmServer } from '../fixtures/vllm-server.ts';
import { until } from '../support/cli.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { http, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';

const MASTER_KEY = 'sk-llmpass-bodies-master-77c0aa';
const VLLM_KEY = 'sk-vllm-bodies-canary-1b2c3d';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const UPLOAD = randomBytes(3 * 1024 * 1024 + 12_345);
const UPLOAD_SHA = createHash('sha256').update(UPLOAD).digest('hex');
const JSON_ANSWER = JSON.stringify({ object: 'list', data: Array.from({ length: 200 }, (_, i) => ({ id: `model-${i}`, object: 'model' })) });
const GZIPPED = gzipSync(JSON_ANSWER);

let vllm: FakeServer;
let compressed: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  vllm = await startVllmServer({ apiKey: VLLM_KEY });
  compressed = await startFakeUpstream((req, res) => {
    if (req.path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': GZIPPED.length, vary: 'accept-encoding' });
      res.end(GZIPPED);
    } else {
      // chunked, no content-length: the gzip stream in three pieces
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const third = Math.ceil(GZIPPED.length / 3);
      res.write(GZIPPED.subarray(0, third));
      res.write(GZIPPED.subarray(third, 2 * third));
      res.end(GZIPPED.subarray(2 * third));
    }
  });
  proxy = await startProxyCli({
    config: 'model_list: []\n',
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: `${vllm.url}/v1`, VLLM_API_KEY: VLLM_KEY, OPENAI_API_BASE: `${compressed.url}/v1` },
    // far below the upload: a non-JSON body is never held, so the JSON limit does not apply to it
    args: ['--max-json-body', '1kb'],
  });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([vllm, compressed].map((server) => server?.close()));
  cleanupTemp();
});

describe('a binary upload', () => {
  it('streams through byte-identical (application/octet-stream, content-length)', async () => {
    const answer = await http(`${proxy.url}/vllm/v1/upload-sink?name=blob.bin`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/octet-stream' },
      body: UPLOAD,
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json()).toEqual({ bytes: UPLOAD.length, sha256: UPLOAD_SHA });
    const seen = vllm.requests.at(-1)!;
    expect(seen.bodySha256).toBe(UPLOAD_SHA);
    expect(seen.bodySize).toBe(UPLOAD.length);
    expect(seen.headers['content-type']).toBe('application/octet-stream');
    expect(seen.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
    expect(seen.query.get('name')).toBe('blob.bin');
  });

  it('streams through when sent chunked: the upstream gets the first half before the client sends the rest', async () => {
    const before = vllm.requests.length;
    const half = Math.floor(UPLOAD.length / 2);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/vllm/v1/upload-sink`, {
        method: 'POST',
        agent: false,
        headers: { ...AUTH, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.once('error', reject);
      req.write(UPLOAD.subarray(0, half));
      // the rest only once the upstream has started receiving: nothing holds the body whole on the way
      until(() => (vllm.requests[before]?.bodySize ?? 0) > 0, 5_000).then(
        () => req.end(UPLOAD.subarray(half)),
        (error: unknown) => {
          req.destroy();
          reject(error as Error);
        },
      );
    });
    const result = await answer;
    expect(result.status, result.body).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ bytes: UPLOAD.length, sha256: UPLOAD_SHA });
    expect(vllm.requests.at(-1)!.bodySha256).toBe(UPLOAD_SHA);
  });

  it('the JSON limit still applies to JSON bodies on the same proxy', async () => {
    const answer = await http(`${proxy.url}/vllm/v1/embeddings`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'x'.repeat(4096) }),
    });
    expect(answer.status).toBe(413);
  });
});

describe('a compressed upstream answer', () => {
  it('passes through with content-encoding intact and the bytes identical (content-length)', async () => {
    const answer = await http(`${proxy.url}/openai/v1/models`, { headers: { ...AUTH, 'accept-encoding': 'gzip' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(answer.headers['content-length']).toBe(String(GZIPPED.length));
    expect(answer.headers.vary).toBe('accept-encoding');
    expect(answer.body.equals(GZIPPED)).toBe(true);
    expect(gunzipSync(answer.body).toString('utf8')).toBe(JSON_ANSWER);
    // the client's accept-encoding is the one the upstream saw
    expect(compressed.requests.at(-1)!.headers['accept-encoding']).toBe('gzip');
  });

  it('passes through a chunked gzip stream byte for byte', async () => {
    const answer = await http(`${proxy.url}/openai/v1/stream-gz`, { headers: { ...AUTH, 'accept-encoding': 'gzip, br' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(answer.body.equals(GZIPPED)).toBe(true);
    expect(compressed.requests.at(-1)!.headers['accept-encoding']).toBe('gzip, br');
  });

  it('fetch (which decompresses) reads the JSON', async () => {
    const response = await fetch(`${proxy.url}/openai/v1/models`, { headers: AUTH });
    expect(await response.text()).toBe(JSON_ANSWER);
  });
});
