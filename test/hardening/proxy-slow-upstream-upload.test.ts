// An upstream slow to take an upload is not a silent client: --client-timeout counts only the client's silences,
// never the time the proxy itself holds the body back (backpressure), nor the time after the body has all arrived.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { startRawServer, type RawServer } from '../support/raw-server.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-slow-take-51ab';
const MiB = 1024 * 1024;
let stallMs = 0;
let upstream: RawServer;
let proxy: ProxyCli;

beforeAll(async () => {
  // Reads nothing for `stallMs`, then counts the body and answers with its size.
  upstream = await startRawServer((req, res) => {
    req.pause();
    setTimeout(() => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end(JSON.stringify({ bytes })));
      req.resume();
    }, stallMs);
  });
  proxy = await startProxyCli({
    config: 'router_settings:\n  num_retries: 0\n',
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstream.url },
    args: ['--client-timeout', '1'],
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

function upload(size: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${proxy.url}/vllm/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/octet-stream', 'content-length': size },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(Buffer.alloc(size, 7));
  });
}

describe('--client-timeout and an upstream slow to take the body', () => {
  it.each([
    ['a small body, all received before the upstream reads it', 80 * 1024, 2_500],
    ['a large body, held back by backpressure', 24 * MiB, 2_500],
    ['a large body, the upstream resuming when a second silence would end', 24 * MiB, 2_000],
  ])('%s: answered, every byte through', async (_name, size, stall) => {
    stallMs = stall;
    const answer = await upload(size);
    expect(answer.status, answer.text).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ bytes: size });
  }, 20_000);
});
