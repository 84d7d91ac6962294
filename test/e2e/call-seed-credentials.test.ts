// `llmpass call` end to end: the seed call, api bases and credentials.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, call } from '../support/cli.ts';
import { tempDir, writeFiles } from '../support/tmp.ts';
import { SERVED, SEED_ALIAS, VLLM_KEY, OPENAI_KEY, ANTHROPIC_KEY, vllm, vllmKeyed, upstream, openai, anthropic, seedTap, project, json, echoed, expectOk, expectOneLineError, useCallFixture } from './call-fixture.ts';

useCallFixture();

describe('the seed: roberta-base-language-detection classify', () => {
  it('--json: exit 0, stdout is the upstream\'s bytes exactly, and the upstream got POST /classify with the upstream model', async () => {
    const before = vllm.requests.length;
    const relayed = seedTap.responses.length;
    const result = await call(project, [SEED_ALIAS, 'classify', '--json', '{"model":"roberta-base-language-detection","input":"Hello, world!"}']);
    expectOk(result);
    const sent = seedTap.responses.slice(relayed);
    expect(sent).toHaveLength(1);
    expect(result.stdout.equals(sent[0]!)).toBe(true);
    const received = vllm.requests.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', path: '/classify' });
    expect(received[0]!.json).toEqual({ model: SERVED, input: 'Hello, world!' });
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect((json(result).data as Array<{ label: string }>)[0]!.label).toBe('en');
  });

  it('stdin: echo \'{"input":"Hello, world!"}\' | llmpass call ... classify, then .data[0].label is en', async () => {
    const before = vllm.requests.length;
    const result = await call(project, [SEED_ALIAS, 'classify'], { input: '{"input":"Hello, world!"}\n' });
    expectOk(result);
    expect((json(result).data as Array<{ label: string }>)[0]!.label).toBe('en');
    expect(vllm.requests.slice(before).map((r) => [r.method, r.path, r.json])).toEqual([['POST', '/classify', { model: SERVED, input: 'Hello, world!' }]]);
    expect(result.stdout.equals(seedTap.responses.at(-1)!)).toBe(true);
  });
});

describe('api bases', () => {
  for (const alias of [SEED_ALIAS, 'roberta-no-v1', 'roberta-v1-slash']) {
    it(`${alias}: reaches /classify and /v1/chat/completions`, async () => {
      const before = vllm.requests.length;
      const classify = await call(project, [alias, 'classify', '--json', '{"input":"Bonjour tout le monde, comment allez-vous ?"}']);
      expectOk(classify);
      expect((json(classify).data as Array<{ label: string }>)[0]!.label).toBe('fr');
      const chat = await call(project, [alias, 'v1/chat/completions', '--json', '{"model":"x","messages":[{"role":"user","content":"Hello there"}]}']);
      expectOk(chat);
      expect(json(chat)).toMatchObject({ object: 'chat.completion', model: SERVED });
      expect(vllm.requests.slice(before).map((r) => r.path)).toEqual(['/classify', '/v1/chat/completions']);
    });
  }

  it('a path-prefixed gateway base keeps its prefix (vLLM strips only the trailing /v1)', async () => {
    const classify = echoed(await call(project, ['echo-gateway', 'classify', '--json', '{}']));
    expect(classify.path).toBe('/gw/team-a/classify');
    const chat = echoed(await call(project, ['echo-gateway', 'v1/chat/completions', '--json', '{}']));
    expect(chat.path).toBe('/gw/team-a/v1/chat/completions');
    const openaiGateway = echoed(await call(tempDir(), ['openai/gpt-4o-mini', 'chat/completions', '--api-base', `${upstream.url}/proxy/openai/v1`, '--json', '{}']));
    expect(openaiGateway.path).toBe('/proxy/openai/v1/chat/completions');
    expect(openaiGateway.json).toEqual({ model: 'gpt-4o-mini' });
  });

  it('provider/model directly, with --api-base', async () => {
    const before = vllm.requests.length;
    const result = await call(tempDir(), [`hosted_vllm/${SERVED}`, 'classify', '--api-base', vllm.url, '--json', '{"input":"Hello, world!"}']);
    expectOk(result);
    expect((json(result).data as Array<{ label: string }>)[0]!.label).toBe('en');
    expect(vllm.requests.slice(before).map((r) => [r.path, r.json])).toEqual([['/classify', { model: SERVED, input: 'Hello, world!' }]]);
  });

  it('provider/model directly, with HOSTED_VLLM_API_BASE in the environment', async () => {
    const before = vllm.requests.length;
    const env = baseEnv({ HOSTED_VLLM_API_BASE: `${vllm.url}/v1` });
    const result = await call(tempDir(), [`hosted_vllm/${SERVED}`, 'v1/chat/completions', '--json', '{"messages":[{"role":"user","content":"hi"}]}'], { env });
    expectOk(result);
    expect(vllm.requests.slice(before).map((r) => r.path)).toEqual(['/v1/chat/completions']);
    // The vllm/ alias of the provider too.
    const viaAlias = await call(tempDir(), [`vllm/${SERVED}`, 'classify', '--json', '{"input":"hi"}'], { env });
    expectOk(viaAlias);
  });

  it('provider/model with no api base anywhere is a usage error naming the variables to set', async () => {
    const result = await call(tempDir(), [`hosted_vllm/${SERVED}`, 'classify', '--json', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /no api base.*HOSTED_VLLM_API_BASE/);
  });
});

describe('credentials', () => {
  it('vLLM: the key from os.environ/VAR goes as Authorization: Bearer', async () => {
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'v1/chat/completions', '--json', '{"messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ MY_VLLM_KEY: VLLM_KEY }),
    });
    expectOk(result);
    const [request] = vllmKeyed.requests.slice(before);
    expect(request!.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
    expect(request!.headers['x-api-key']).toBeUndefined();
  });

  it('vLLM: a missing os.environ/VAR is exit 2 naming the variable and the alias, and nothing is sent', async () => {
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'classify', '--json', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /MY_VLLM_KEY.*keyed-vllm|keyed-vllm.*MY_VLLM_KEY/);
    expect(vllmKeyed.requests.length).toBe(before);
  });

  it('OpenAI-like: Bearer, chat/completions joined under /v1, model swapped', async () => {
    const before = openai.requests.length;
    const result = await call(project, ['gpt', 'chat/completions', '--json', '{"model":"gpt","messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ OPENAI_API_KEY: OPENAI_KEY }),
    });
    expectOk(result);
    expect(json(result)).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-mini' });
    const [request] = openai.requests.slice(before);
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect((request!.json as { model: string }).model).toBe('gpt-4o-mini');
  });

  it('Anthropic-like: x-api-key and anthropic-version 2023-06-01, no Authorization', async () => {
    const before = anthropic.requests.length;
    const result = await call(project, ['claude', 'v1/messages', '--json', '{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ ANTHROPIC_API_KEY: ANTHROPIC_KEY }),
    });
    expectOk(result);
    expect(json(result)).toMatchObject({ type: 'message', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Echo: hi' }] });
    const [request] = anthropic.requests.slice(before);
    expect(request!.path).toBe('/v1/messages');
    expect(request!.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(request!.headers['anthropic-version']).toBe('2023-06-01');
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('Anthropic-like: a caller\'s --header anthropic-version overrides the default', async () => {
    const before = anthropic.requests.length;
    const result = await call(project, ['claude', 'v1/messages', '--header', 'anthropic-version: 2099-01-01', '--json', '{"messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ ANTHROPIC_API_KEY: ANTHROPIC_KEY }),
    });
    expectOk(result);
    const [request] = anthropic.requests.slice(before);
    expect(request!.headers['anthropic-version']).toBe('2099-01-01');
    expect(request!.rawHeaders.filter((name) => name.toLowerCase() === 'anthropic-version')).toHaveLength(1);
  });

  it('--dotenv loads the key from a dotenv file', async () => {
    const dir = writeFiles(tempDir(), { 'keys.env': `# provider keys\nMY_VLLM_KEY=${VLLM_KEY}\n` });
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'v1/chat/completions', '--dotenv', join(dir, 'keys.env'), '--json', '{"messages":[{"role":"user","content":"hi"}]}']);
    expectOk(result);
    expect(vllmKeyed.requests.slice(before)[0]!.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
  });

  // The flag was --env-file, which Node itself reads wherever it stands (exit 9, its own message): --dotenv is ours.
  it('--dotenv with a missing file is one llmpass line, exit 2, before anything is sent', async () => {
    const before = vllmKeyed.requests.length;
    const path = join(tempDir(), 'nope.env');
    const missing = await call(project, ['keyed-vllm', 'classify', '--dotenv', path, '--json', '{}']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`llmpass: --dotenv ${path}: no such file\n`);
    expect(vllmKeyed.requests.length).toBe(before);
  });

  // resolveEntry (src/router/deployment.ts) resolves the config's `api_key: os.environ/VAR` before looking at
  // the --api-key override, so an unset variable fails a call that would not use it (api_base is lazy).
  it('--api-key overrides a config key whose os.environ/VAR is unset', async () => {
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'v1/chat/completions', '--api-key', VLLM_KEY, '--json', '{"messages":[{"role":"user","content":"hi"}]}']);
    expectOk(result);
    expect(vllmKeyed.requests.slice(before)[0]!.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
  });
});
