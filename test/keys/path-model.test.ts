// A model named twice: Gemini's path names one (`models/{model}:generateContent`) and the body's `model` another.
// The body's alias chose the deployment (its credentials, its price, the key's model check); the path then made the
// upstream serve a model no one was allowed. Refused now, on every face, before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { postJson, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { expectProxyError } from '../support/proxy-error.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';
import { Router } from '../../src/router/router.ts';
import { UsageError } from '../../src/errors.ts';

const MASTER = 'sk-master-path-model-7d2c41';
let upstream: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  upstream = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"candidates":[]}');
  });
  proxy = await startProxyCli({
    config: `model_list:
  - model_name: flash
    litellm_params: { model: gemini/gemini-2.0-flash, api_base: ${upstream.url}, api_key: gemini-key-shared }
  - model_name: pro
    litellm_params: { model: gemini/gemini-2.5-pro, api_base: ${upstream.url}, api_key: gemini-key-shared }
general_settings:
  master_key: ${MASTER}
`,
    env: { XDG_STATE_HOME: tempDir() },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

const generate = (key: string, path: string, model: string) =>
  postJson(`${proxy.url}/gemini/v1beta/models/${path}`, { model, contents: [{ parts: [{ text: 'hi' }] }] }, undefined, { 'x-goog-api-key': key });

describe('a path naming another model than the body', () => {
  it('is refused with 400 for a key allowed the body\'s alias only, and nothing reaches the upstream', async () => {
    const made = await postJson(`${proxy.url}/key/generate`, { models: ['flash'] }, MASTER);
    expect(made.status, made.text).toBe(200);
    const key = made.json<{ key: string }>().key;
    const before = upstream.requests.length;
    for (const method of ['generateContent', 'streamGenerateContent?alt=sse']) {
      expectProxyError(await generate(key, `gemini-2.5-pro:${method}`, 'flash'), 400, { message: /the endpoint names the model "gemini-2\.5-pro", but "flash" serves "gemini-2\.0-flash"/ });
    }
    // The master key too: the request itself is ambiguous, whoever sends it.
    expectProxyError(await generate(MASTER, 'gemini-2.5-pro:generateContent', 'flash'), 400);
    expect(upstream.requests.length).toBe(before);
  });

  it('passes when the path names the alias or the model its deployment serves', async () => {
    const before = upstream.requests.length;
    expect((await generate(MASTER, 'flash:generateContent', 'flash')).status).toBe(200);
    expect((await generate(MASTER, 'gemini-2.0-flash:generateContent', 'flash')).status).toBe(200);
    expect(upstream.requests.slice(before).map((request) => request.path)).toEqual([
      '/v1beta/models/gemini-2.0-flash:generateContent',
      '/v1beta/models/gemini-2.0-flash:generateContent',
    ]);
  });

  it('passes a Bedrock path naming the id an alias of `bedrock/converse/<id>` serves (the route prefix is not in paths)', () => {
    const router = new Router({
      modelList: [{ model_name: 'claude', litellm_params: { model: 'bedrock/converse/anthropic.claude-3-5-sonnet-20240620-v1:0', aws_region_name: 'us-east-1', aws_access_key_id: 'AKIDEXAMPLE', aws_secret_access_key: 'secret-example-key-0000' } }],
    });
    const prepared = router.prepare({ model: 'claude', endpoint: 'model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse', json: { messages: [] } });
    expect(prepared.url.pathname).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(() => router.prepare({ model: 'claude', endpoint: 'model/anthropic.claude-3-opus-20240229-v1%3A0/converse', json: { messages: [] } })).toThrow(UsageError);
  });

  it('gives back the deployment\'s slot when it refuses (no request counted in flight for ever)', async () => {
    const router = new Router({ modelList: [{ model_name: 'flash', litellm_params: { model: 'gemini/gemini-2.0-flash', api_base: upstream.url, api_key: 'k' } }], numRetries: 0 });
    for (let i = 0; i < 3; i++) await expect(router.passthrough({ model: 'flash', endpoint: 'v1beta/models/gemini-2.5-pro:generateContent', json: {} })).rejects.toThrow(UsageError);
    expect(router.state.inFlight('flash#0')).toBe(0);
  });

  it('is a UsageError from the library, before anything is sent', async () => {
    const router = new Router({ modelList: [{ model_name: 'flash', litellm_params: { model: 'gemini/gemini-2.0-flash', api_base: upstream.url, api_key: 'k' } }], numRetries: 0 });
    const before = upstream.requests.length;
    await expect(router.passthrough({ model: 'flash', endpoint: 'v1beta/models/gemini-2.5-pro:generateContent', json: { contents: [] } })).rejects.toThrow(UsageError);
    expect(upstream.requests.length).toBe(before);
  });
});
