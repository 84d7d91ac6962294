// The official SDKs pointed at `llmpass proxy` with the master key as their api key; each upstream is a recording
// fake, and the tests assert what it received.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicLike, openAiLike, startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer, RecordedRequest } from '../fixtures/recording.ts';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { headerText, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';

const MASTER_KEY = 'sk-llmpass-sdk-master-51f0c2';
const VLLM_KEY = 'sk-vllm-sdk-canary-90b7de';
const OPENAI_KEY = 'sk-openai-sdk-canary-4e6a13';
const ANTHROPIC_KEY = 'sk-ant-sdk-canary-c27d88';
const ALIAS = 'roberta-base-language-detection';
const GPT_ALIAS = 'team-gpt';
const GPT_UPSTREAM = 'gpt-4o-upstream';

/** Hop-by-hop headers the proxy must never pass on (the connection to the fake is the proxy's own). */
const HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade'];

let vllm: FakeServer;
let openaiAlias: FakeServer; // served through the alias, key from os.environ/OPENAI_API_KEY
let openaiEnv: FakeServer; // served through OPENAI_API_BASE / OPENAI_API_KEY, no alias
let anthropic: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  vllm = await startVllmServer({ apiKey: VLLM_KEY, sseIntervalMs: 5 });
  openaiAlias = await startFakeUpstream(openAiLike({ apiKey: OPENAI_KEY, intervalMs: 5 }));
  openaiEnv = await startFakeUpstream(openAiLike({ apiKey: OPENAI_KEY, intervalMs: 5 }));
  anthropic = await startFakeUpstream(anthropicLike({ apiKey: ANTHROPIC_KEY, intervalMs: 5 }));
  proxy = await startProxyCli({
    config: `model_list:
  - model_name: ${ALIAS}
    litellm_params:
      model: hosted_vllm/${DEFAULT_SERVED_MODEL}
      api_base: ${vllm.url}/v1
      api_key: os.environ/HOSTED_VLLM_API_KEY
  - model_name: ${GPT_ALIAS}
    litellm_params:
      model: openai/${GPT_UPSTREAM}
      api_base: ${openaiAlias.url}/v1
      api_key: os.environ/OPENAI_API_KEY
`,
    env: {
      LLMPASS_MASTER_KEY: MASTER_KEY,
      // The no-alias paths: the provider's own variables.
      HOSTED_VLLM_API_BASE: `${vllm.url}/v1`,
      HOSTED_VLLM_API_KEY: VLLM_KEY,
      OPENAI_API_BASE: `${openaiEnv.url}/v1`,
      OPENAI_API_KEY: OPENAI_KEY,
      ANTHROPIC_API_BASE: anthropic.url,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([vllm, openaiAlias, openaiEnv, anthropic].map((server) => server?.close()));
  cleanupTemp();
});

/** What every request reaching a fake must satisfy: its provider's credential, no master key, no hop-by-hop header. */
function expectCleanUpstream(seen: RecordedRequest, credential: [string, string]): void {
  expect(seen.headers[credential[0]]).toBe(credential[1]);
  expect(headerText(seen.rawHeaders)).not.toContain(MASTER_KEY);
  expect(seen.url).not.toContain(MASTER_KEY);
  for (const name of HOP_BY_HOP) expect(seen.headers, name).not.toHaveProperty(name);
  // the client's own credential headers are gone (only the provider's one is there)
  for (const name of ['x-api-key', 'api-key', 'x-goog-api-key', 'x-llmpass-api-key', 'x-litellm-api-key', 'cookie']) {
    if (name !== credential[0]) expect(seen.headers, name).not.toHaveProperty(name);
  }
}

/** A fetch that remembers the headers the SDK sent to the proxy. */
function recordingFetch(sent: Headers[]): typeof fetch {
  return (input, init) => {
    sent.push(new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)));
    return fetch(input, init);
  };
}

function last(server: FakeServer): RecordedRequest {
  return server.requests.at(-1)!;
}

describe('openai SDK at /vllm/v1 (alias in the body)', () => {
  const client = () => new OpenAI({ baseURL: `${proxy.url}/vllm/v1`, apiKey: MASTER_KEY, maxRetries: 0, defaultQuery: { trace: 'sdk-1' } });

  it('chat: the alias is swapped for the served model, the vLLM key added, the query kept', async () => {
    const completion = await client().chat.completions.create({ model: ALIAS, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(completion.model).toBe(DEFAULT_SERVED_MODEL);
    expect(completion.choices[0]!.message.content).toBeTruthy();
    const seen = last(vllm);
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.query.get('trace')).toBe('sdk-1');
    expect((seen.json as { model: string }).model).toBe(DEFAULT_SERVED_MODEL);
    expectCleanUpstream(seen, ['authorization', `Bearer ${VLLM_KEY}`]);
  });

  it('streaming chat arrives chunk by chunk', async () => {
    const stream = await client().chat.completions.create({ model: ALIAS, messages: [{ role: 'user', content: 'Stream me please' }], stream: true });
    let text = '';
    let chunks = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    const seen = last(vllm);
    expect((seen.json as { model: string; stream: boolean }).model).toBe(DEFAULT_SERVED_MODEL);
    expect((seen.json as { stream: boolean }).stream).toBe(true);
    expectCleanUpstream(seen, ['authorization', `Bearer ${VLLM_KEY}`]);
  });

  it('embeddings', async () => {
    const result = await client().embeddings.create({ model: ALIAS, input: ['one', 'two'] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]!.embedding.length).toBeGreaterThan(0);
    const seen = last(vllm);
    expect(seen.path).toBe('/v1/embeddings');
    expect((seen.json as { model: string }).model).toBe(DEFAULT_SERVED_MODEL);
    expectCleanUpstream(seen, ['authorization', `Bearer ${VLLM_KEY}`]);
  });

  it('a file upload (multipart) streams to /v1/audio/transcriptions untouched', async () => {
    const audio = Buffer.alloc(200_000, 7);
    const result = await client().audio.transcriptions.create({ file: await toFile(audio, 'a.wav'), model: DEFAULT_SERVED_MODEL });
    expect(result.text).toContain('a.wav');
    expect(result.text).toContain(`(${audio.length} bytes)`);
    const seen = last(vllm);
    expect(seen.path).toBe('/v1/audio/transcriptions');
    expect(seen.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expectCleanUpstream(seen, ['authorization', `Bearer ${VLLM_KEY}`]);
  });
});

describe('openai SDK at /openai/v1', () => {
  it('an alias: swapped model, key from os.environ/OPENAI_API_KEY, the alias fake only', async () => {
    const before = openaiEnv.requests.length;
    const client = new OpenAI({ baseURL: `${proxy.url}/openai/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: GPT_ALIAS, messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.model).toBe(GPT_UPSTREAM);
    const seen = last(openaiAlias);
    expect(seen.path).toBe('/v1/chat/completions');
    expect((seen.json as { model: string }).model).toBe(GPT_UPSTREAM);
    expectCleanUpstream(seen, ['authorization', `Bearer ${OPENAI_KEY}`]);
    expect(openaiEnv.requests.length).toBe(before);
  });

  it('no alias: OPENAI_API_BASE / OPENAI_API_KEY, the body untouched (chat, streaming, embeddings)', async () => {
    const sent: Headers[] = [];
    const client = new OpenAI({ baseURL: `${proxy.url}/openai/v1`, apiKey: MASTER_KEY, maxRetries: 0, fetch: recordingFetch(sent), defaultHeaders: { 'openai-beta': 'assistants=v2' } });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'plain' }], temperature: 0.25 });
    expect(completion.model).toBe('gpt-4o-mini');
    const seen = last(openaiEnv);
    expect(seen.json).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'plain' }], temperature: 0.25 });
    expect(seen.headers['openai-beta']).toBe('assistants=v2');
    // the SDK's own end-to-end headers are passed on as sent
    expect(seen.headers['x-stainless-lang']).toBe(sent[0]!.get('x-stainless-lang'));
    expect(seen.headers['user-agent']).toBe(sent[0]!.get('user-agent'));
    expectCleanUpstream(seen, ['authorization', `Bearer ${OPENAI_KEY}`]);

    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo: one two three');

    const embedded = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', encoding_format: 'float' });
    expect(embedded.data[0]!.embedding).toHaveLength(8);
    expectCleanUpstream(last(openaiEnv), ['authorization', `Bearer ${OPENAI_KEY}`]);
    expect(openaiEnv.requests.every((r) => r.headers.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
  });
});

describe('anthropic SDK at /anthropic (ANTHROPIC_API_BASE / ANTHROPIC_API_KEY)', () => {
  it('messages: x-api-key is the provider key, anthropic-version and anthropic-beta as the SDK sent them', async () => {
    const sent: Headers[] = [];
    const client = new Anthropic({ baseURL: `${proxy.url}/anthropic`, apiKey: MASTER_KEY, maxRetries: 0, fetch: recordingFetch(sent), defaultHeaders: { 'anthropic-beta': 'prompt-caching-2024-07-31' } });
    const message = await client.messages.create({ model: 'claude-test-model', max_tokens: 32, messages: [{ role: 'user', content: 'Bonjour' }] });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Echo: Bonjour' });
    // the SDK sent the master key as its api key (in x-api-key or as a Bearer token, by SDK version)
    expect([sent[0]!.get('x-api-key'), sent[0]!.get('authorization')]).toContainEqual(expect.stringContaining(MASTER_KEY));
    expect(sent[0]!.get('anthropic-version')).toBeTruthy();
    const seen = last(anthropic);
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['anthropic-version']).toBe(sent[0]!.get('anthropic-version'));
    expect(seen.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    expect((seen.json as { model: string }).model).toBe('claude-test-model');
    expectCleanUpstream(seen, ['x-api-key', ANTHROPIC_KEY]);
    expect(seen.headers).not.toHaveProperty('authorization');
  });

  it('a caller-chosen anthropic-version wins over the provider default', async () => {
    const client = new Anthropic({ baseURL: `${proxy.url}/anthropic`, apiKey: MASTER_KEY, maxRetries: 0, defaultHeaders: { 'anthropic-version': '2099-01-01' } });
    await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'v' }] });
    expect(last(anthropic).headers['anthropic-version']).toBe('2099-01-01');
  });

  it('streaming messages: named events in order, the text reassembled', async () => {
    const client = new Anthropic({ baseURL: `${proxy.url}/anthropic`, apiKey: MASTER_KEY, maxRetries: 0 });
    const stream = await client.messages.create({ model: 'claude-test-model', max_tokens: 32, messages: [{ role: 'user', content: 'a b c' }], stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(text).toBe('Echo: a b c');
    const seen = last(anthropic);
    expect((seen.json as { stream: boolean }).stream).toBe(true);
    expectCleanUpstream(seen, ['x-api-key', ANTHROPIC_KEY]);
  });

  it('the helper stream (messages.stream) gives the final message', async () => {
    const client = new Anthropic({ baseURL: `${proxy.url}/anthropic`, apiKey: MASTER_KEY, maxRetries: 0 });
    const final = await client.messages.stream({ model: 'claude-test-model', max_tokens: 32, messages: [{ role: 'user', content: 'final please' }] }).finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Echo: final please' });
    expect(final.stop_reason).toBe('end_turn');
  });
});

describe('every fake saw only its own provider key', () => {
  it('no master key and no other provider key anywhere upstream', () => {
    const expectations: Array<[FakeServer, string]> = [
      [vllm, VLLM_KEY],
      [openaiAlias, OPENAI_KEY],
      [openaiEnv, OPENAI_KEY],
      [anthropic, ANTHROPIC_KEY],
    ];
    for (const [server, own] of expectations) {
      expect(server.requests.length).toBeGreaterThan(0);
      for (const seen of server.requests) {
        const text = `${seen.url}\n${headerText(seen.rawHeaders)}`;
        expect(text).toContain(own);
        for (const other of [MASTER_KEY, VLLM_KEY, OPENAI_KEY, ANTHROPIC_KEY].filter((k) => k !== own)) expect(text).not.toContain(other);
      }
    }
  });
});
