// A Bedrock upload over the 64 MiB a signature can cover (the body is held whole to be hashed): the proxy answers
// 413 with a message that says so, and `call` prints one line and exits 2. The proxy once reset the client's
// connection instead (its log said 400, 0 bytes out).
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_SIGNED_BODY } from '../../src/transport/sign.ts';
import { startFakeBedrock, type FakeBedrock } from '../fixtures/fake-bedrock.ts';
import { baseEnv, runCli, stackLines } from '../support/cli.ts';
import { startProxyCli, stopAllProxies } from '../support/proxy.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

const KEY = { accessKeyId: 'AKIDTOOLARGE', secretAccessKey: 'too-large-secret-9a8b7c6d', region: 'us-east-1', service: 'bedrock' };
const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const MASTER = 'sk-llmpass-too-large-3f2e';
const OVER = MAX_SIGNED_BODY + 1024 * 1024;

let bedrock: FakeBedrock;
let config: string;
const env = { TL_AWS_ID: KEY.accessKeyId, TL_AWS_SECRET: KEY.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' };

beforeAll(async () => {
  bedrock = await startFakeBedrock({ key: KEY });
  const params = { model: `bedrock/${MODEL}`, api_base: bedrock.url, aws_region_name: 'us-east-1', aws_access_key_id: 'os.environ/TL_AWS_ID', aws_secret_access_key: 'os.environ/TL_AWS_SECRET' };
  config = JSON.stringify({ model_list: [{ model_name: 'my-claude', litellm_params: params }], general_settings: { master_key: 'os.environ/MASTER' } });
});

afterAll(async () => {
  await stopAllProxies();
  await bedrock?.close();
  cleanupTemp();
});

/** Uploads `size` bytes (chunked: no content-length) and reads whatever the proxy answers, even mid-upload. */
function upload(url: string, size: number, chunked = false): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const length = chunked ? {} : { 'content-length': size };
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/octet-stream', ...length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    });
    req.once('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    const piece = Buffer.alloc(1024 * 1024, 0x20);
    for (let sent = 0; sent < size; sent += piece.length) req.write(piece.subarray(0, Math.min(piece.length, size - sent)));
    req.end();
  });
}

it.each([
  ['with a content-length', false],
  ['chunked', true],
])('the proxy answers 413 to an upload %s, saying the body is over what is held to be signed', async (_how, chunked) => {
  const proxy = await startProxyCli({ config, env: { ...env, MASTER } });
  const before = bedrock.requests.length;
  const answer = await upload(`${proxy.url}/bedrock/model/my-claude/invoke`, OVER, chunked);
  expect(answer).toMatchObject({ status: 413 });
  const { error } = JSON.parse((answer as { body: string }).body) as { error: { message: string; type: string } };
  expect(error.message).toMatch(/over 64 MiB, the most held to be signed/);
  expect(error.type).toBe('request_too_large');
  expect(bedrock.requests.length).toBe(before);
  expect((await proxy.waitForRequests(1))[0]).toMatchObject({ status: 413 });
  // The proxy is still there for the next client.
  expect(await upload(`${proxy.url}/bedrock/model/my-claude/invoke`, 2)).toMatchObject({ status: expect.any(Number) });
});

it('call: one line naming the limit, exit 2', async () => {
  const dir = tempConfig(config);
  writeFileSync(join(dir, 'big.json'), Buffer.alloc(OVER, 0x20));
  const result = await runCli({ args: ['call', 'my-claude', 'invoke', '--data', `@${join(dir, 'big.json')}`, '--header', 'content-type: application/octet-stream'], cwd: dir, env: baseEnv(env) });
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^llmpass: .*over 64 MiB/);
  expect(stackLines(result.stderr)).toEqual([]);
});
