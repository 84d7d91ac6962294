// The seed's proxy call, word for word: the real curl against `llmpass proxy`, the vLLM fake behind it.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeServer } from '../fixtures/recording.ts';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { headerText, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';

const MASTER_KEY = 'sk-llmpass-seed-master-3c1d9e';
const VLLM_KEY = 'sk-vllm-seed-provider-8a02f4';
const SEED = `curl -s -X POST $URL/vllm/classify -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"model": "roberta-base-language-detection", "input": "Hello, world!"}'`;

let vllm: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  vllm = await startVllmServer({ apiKey: VLLM_KEY });
  proxy = await startProxyCli({
    config: `model_list:
  - model_name: roberta-base-language-detection
    litellm_params:
      model: hosted_vllm/${DEFAULT_SERVED_MODEL}
      api_base: ${vllm.url}/v1
      api_key: os.environ/VLLM_API_KEY
`,
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_KEY: VLLM_KEY },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await vllm?.close();
  cleanupTemp();
});

function sh(command: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { env: { PATH: '/usr/bin:/bin', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the seed curl through llmpass proxy', () => {
  it('classifies with the swapped model, the provider key upstream and never the master key', async () => {
    const port = new URL(proxy.url).port;
    // As the issue writes it (localhost), with the port the proxy bound.
    const result = await sh(SEED, { URL: `http://localhost:${port}`, KEY: MASTER_KEY });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as { model: string; data: Array<{ label: string }> };
    expect(answer.data[0]!.label).toBe('en');
    expect(answer.model).toBe(DEFAULT_SERVED_MODEL);

    expect(vllm.requests).toHaveLength(1);
    const seen = vllm.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/classify');
    expect(seen.json).toEqual({ model: DEFAULT_SERVED_MODEL, input: 'Hello, world!' });
    expect(seen.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
    expect(headerText(seen.rawHeaders)).not.toContain(MASTER_KEY);
    expect(seen.headers['content-type']).toBe('application/json');
  });

  it('answers the same curl without the key with 401 and sends nothing upstream', async () => {
    const before = vllm.requests.length;
    const result = await sh(SEED.replace('-s -X', '-s -o /dev/null -w %{http_code} -X'), { URL: proxy.url, KEY: 'not-the-key' });
    expect(result.stdout).toBe('401');
    expect(vllm.requests.length).toBe(before);
  });
});
