// The proxy answers model-list requests with the aliases a caller may use, in the shape of the SDK asking; a
// route without aliases still asks its provider. A body naming no alias gets `call`'s message with suggestions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiLike, startFakeUpstream, type FakeServer } from '../fixtures/fake-upstream.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { http, postJson, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';

const MASTER_KEY = 'sk-llmpass-lists-master-7d1e';
const MISTRAL_KEY = 'sk-mistral-lists-canary-3b2a';

let mistral: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  mistral = await startFakeUpstream(openAiLike({ apiKey: MISTRAL_KEY }));
  const entry = (alias: string, model: string, info = '') => `  - model_name: ${alias}\n    litellm_params:\n      model: ${model}\n      api_base: http://127.0.0.1:9\n      api_key: unused-upstream-key\n${info}`;
  proxy = await startProxyCli({
    config: `model_list:\n${[
      entry('lang', 'hosted_vllm/papluca/xlm-roberta-base-language-detection'),
      entry('lang-large', 'hosted_vllm/FacebookAI/xlm-roberta-large', '    model_info:\n      id: lang-large-prod\n      mode: embedding\n      base_model: xlm-roberta-large\n'),
      entry('fast-llama', 'groq/llama-3.1-8b-instant'),
      entry('team-claude', 'anthropic/claude-sonnet-4-20250514'),
      entry('team-gemini', 'gemini/gemini-2.0-flash'),
      entry('local-llama', 'ollama/llama3.2:latest'),
      entry('team-command', 'cohere/command-r-plus'),
      entry('team-together', 'together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo'),
      entry('team-azure', 'azure/gpt4o-prod'),
      entry('anthropic/*', 'anthropic/*'),
    ].join('')}`,
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, MISTRAL_API_BASE: `${mistral.url}/v1`, MISTRAL_API_KEY: MISTRAL_KEY },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await mistral?.close();
  cleanupTemp();
});

const get = (path: string) => http(`${proxy.url}${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
const ids = (body: { data: Array<{ id: string }> }) => body.data.map((m) => m.id);

describe('model lists answered with aliases', () => {
  it('GET /v1/models: every alias (no wildcard pattern), OpenAI\'s shape', async () => {
    const answer = await get('/v1/models');
    expect(answer.status).toBe(200);
    const body = answer.json<{ object: string; data: Array<{ id: string; object: string; owned_by: string }> }>();
    expect(body.object).toBe('list');
    expect(ids(body)).toEqual(['lang', 'lang-large', 'fast-llama', 'team-claude', 'team-gemini', 'local-llama', 'team-command', 'team-together', 'team-azure']);
    expect(body.data[0]).toEqual({ id: 'lang', object: 'model', created: 0, owned_by: 'hosted_vllm' });
  });

  it('the lists need the master key', async () => {
    expect((await http(`${proxy.url}/v1/models`)).status).toBe(401);
    expect((await http(`${proxy.url}/vllm/v1/models`)).status).toBe(401);
  });

  it('/model/info: LiteLLM\'s shape, a row per deployment, no key and no base', async () => {
    const answer = await get('/model/info');
    expect(answer.status).toBe(200);
    const body = answer.json<{ data: Array<{ model_name: string; litellm_params: Record<string, unknown>; model_info: { id: string } }> }>();
    expect(body.data[0]).toEqual({ model_name: 'lang', litellm_params: { model: 'hosted_vllm/papluca/xlm-roberta-base-language-detection' }, model_info: { id: 'lang#0' } });
    expect(body.data).toHaveLength(10);
    // The config's own model_info is answered as LiteLLM answers it (tools read `mode`, `base_model`, its `id`).
    expect(body.data[1]!.model_info).toEqual({ id: 'lang-large-prod', mode: 'embedding', base_model: 'xlm-roberta-large' });
    expect(answer.text).not.toContain('unused-upstream-key');
    expect(answer.text).not.toContain('127.0.0.1:9');
  });

  it('/model/info?litellm_model_id=: that deployment only, as LiteLLM filters by the id it answers', async () => {
    const rows = (path: string) => get(path).then((answer) => answer.json<{ data: Array<{ model_name: string }> }>().data.map((row) => row.model_name));
    expect(await rows('/model/info?litellm_model_id=lang-large-prod')).toEqual(['lang-large']);
    expect(await rows('/v1/model/info?litellm_model_id=fast-llama%232')).toEqual(['fast-llama']);
    expect(await rows('/model/info?litellm_model_id=none-such')).toEqual([]);
  });

  it('/<route>/v1/models: the route\'s own aliases, however the SDK spells the path', async () => {
    expect(ids((await get('/vllm/v1/models')).json())).toEqual(['lang', 'lang-large']);
    for (const path of ['/groq/openai/v1/models', '/groq/v1/models', '/groq/models']) expect(ids((await get(path)).json()), path).toEqual(['fast-llama']);
    expect(ids((await get('/ollama/v1/models')).json())).toEqual(['local-llama']);
    expect(ids((await get('/azure/openai/v1/models')).json())).toEqual(['team-azure']);
  });

  it('each provider\'s own shape: Anthropic, Gemini (v1beta and v1), Ollama tags, Cohere, Together', async () => {
    expect((await get('/anthropic/v1/models?limit=20')).json()).toEqual({
      data: [{ type: 'model', id: 'team-claude', display_name: 'team-claude', created_at: '1970-01-01T00:00:00Z' }],
      has_more: false,
      first_id: 'team-claude',
      last_id: 'team-claude',
    });
    for (const version of ['v1beta', 'v1']) {
      expect((await get(`/gemini/${version}/models`)).json()).toEqual({ models: [{ name: 'models/team-gemini', displayName: 'team-gemini' }] });
    }
    expect((await get('/ollama/api/tags')).json<{ models: Array<{ name: string; model: string }> }>().models.map((m) => [m.name, m.model])).toEqual([['local-llama', 'local-llama']]);
    expect((await get('/cohere/v1/models')).json()).toEqual({ models: [{ name: 'team-command' }] });
    const together = (await get('/together_ai/v1/models')).json<Array<{ id: string }>>();
    expect(Array.isArray(together) && together.map((m) => m.id)).toEqual(['team-together']);
  });

  it('a route with no aliases forwards the list request to its provider', async () => {
    const answer = await get('/mistral/v1/models');
    expect(answer.status).toBe(200);
    expect(ids(answer.json())).toEqual(['gpt-4o-mini', 'text-embedding-3-small']);
    const seen = mistral.requests.at(-1)!;
    expect(seen.path).toBe('/v1/models');
    expect(seen.headers.authorization).toBe(`Bearer ${MISTRAL_KEY}`);
  });
});

describe('a body naming no alias', () => {
  it('says that no alias of that name exists and suggests the closest ones', async () => {
    const answer = await postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'lnag', messages: [] }, MASTER_KEY);
    expect(answer.status).toBe(400);
    const error = answer.json<{ error: { message: string; code: string } }>().error;
    expect(error.message).toMatch(/^unknown model "lnag": no such alias in .*config\.yaml; did you mean "lang"/);
    expect(error.code).toBe('llmpass_unknown_model');
  });

  it('no model at all still says the route has no upstream', async () => {
    const answer = await postJson(`${proxy.url}/vllm/classify`, { input: 'x' }, MASTER_KEY);
    expect(answer.status).toBe(400);
    expect(answer.json<{ error: { message: string } }>().error.message).toMatch(/^route \/vllm has no upstream/);
  });
});
