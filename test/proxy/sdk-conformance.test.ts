// Every provider's official TypeScript SDK, configured as its documentation says (base URL and key options, or its
// `headers` option), pointed at the real proxy with the master key, against a fake upstream in the API's real shape.
// For each call the upstream must see: the provider's real path, the alias swapped wherever the model appears, the
// provider's key in the provider's header, and no client credential. The README's SDK table is this table.
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import { CohereClient, CohereClientV2 } from 'cohere-ai';
import Groq from 'groq-sdk';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import Together from 'together-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProviderTable } from '../../scripts/provider-table.ts';
import { converseStreamFrames, EVENT_STREAM, startFakeBedrock } from '../fixtures/fake-bedrock.ts';
import { anthropicLike, openAiLike, startFakeUpstream, type FakeHandler, type FakeServer, type RecordedRequest } from '../fixtures/fake-upstream.ts';
import { sendJson } from '../fixtures/respond.ts';
import { cohereLike, geminiLike, ollamaLike, underPrefix } from '../fixtures/sdk-upstreams.ts';
import { CLIENT_SIDE_AWS } from '../support/bedrock-client.ts';
import { ROOT } from '../support/cli.ts';
import { headerText, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-sdkconf-master-0c4d';
const AWS_KEY = { accessKeyId: 'AKIDSDKCONFORMANCE', secretAccessKey: 'sdk-conformance-aws-secret', region: 'us-east-1', service: 'bedrock' };
const PROMPT = 'hello there';

/** What a call answered, reduced to what a user reads: a text, vectors, or the listed model ids. */
type Answer = { text: string } | { vectors: number[][] } | { ids: string[] };

interface Ctx {
  /** `http://127.0.0.1:PORT` of the proxy. */
  proxy: string;
  alias: string;
}

interface SdkCall {
  /** What the README's table says was tested. */
  name: 'chat' | 'stream' | 'embeddings' | 'embeddings (InvokeModel)' | 'models' | 'chat (v1)';
  /** The path the upstream must see; none for a model list, which the proxy answers itself. */
  path?: string;
  run: (ctx: Ctx) => Promise<Answer>;
}

interface SdkRow {
  sdk: string;
  /** The README's "option to set" cell. */
  option: string;
  route: string;
  /** `provider/model` of the alias, and what the fake upstream answers. */
  model: string;
  upstream: () => FakeHandler | 'bedrock';
  /** Appended to the fake's URL to make the alias's api_base. */
  base: string;
  /** The provider's key: its header and value form, or SigV4 for Bedrock. */
  credential: { header: string; prefix: string } | 'sigv4';
  calls: SdkCall[];
}

/**
 * A streamed call's upstream holds back everything after its first write until the SDK has handed the caller its
 * first event: a proxy that buffered the stream would never deliver it, and the call would hang (no timing involved).
 */
interface StreamGate {
  /** The upstream's answer is held back after its first write (the gate applies to this call's answer). */
  holding: boolean;
  /** Events the SDK yielded. */
  events: number;
  release: () => void;
}
let gate: StreamGate | undefined;

/** Patches an upstream answer: while a gate is set, writes after the first wait for the client's first event. */
function holdAfterFirstWrite(res: ServerResponse): void {
  const current = gate;
  if (!current) return;
  current.holding = true;
  const queue: Array<() => void> = [];
  let released = false;
  let first = true;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  current.release = () => {
    released = true;
    for (const step of queue.splice(0)) step();
  };
  res.write = ((...args: unknown[]) => {
    if (first || released) return ((first = false), write(...args));
    queue.push(() => write(...args));
    return true;
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    if (released || first) return end(...args);
    queue.push(() => end(...args));
    return res;
  }) as ServerResponse['end'];
}

const gated = (handler: FakeHandler): FakeHandler => (req, res) => (holdAfterFirstWrite(res), handler(req, res));

async function streamedText(chunks: AsyncIterable<unknown>, pick: (chunk: never) => string | undefined | null): Promise<{ text: string }> {
  let text = '';
  for await (const chunk of chunks) {
    if (gate && gate.events++ === 0) gate.release();
    text += pick(chunk as never) ?? '';
  }
  return { text };
}

const messages = [{ role: 'user' as const, content: PROMPT }];

/** The calls openai, groq-sdk and together-ai share: each has its own types, all of OpenAI's shapes. */
interface OpenAiStyle {
  chat: { completions: { create(body: Record<string, unknown>): Promise<unknown> } };
  embeddings: { create(body: Record<string, unknown>): Promise<unknown> };
}

const openAiCalls = (client: (ctx: Ctx) => OpenAI | Groq | Together, prefix: string): SdkCall[] => {
  const sdk = (ctx: Ctx) => client(ctx) as unknown as OpenAiStyle;
  return [
    {
      name: 'chat',
      path: `${prefix}/chat/completions`,
      run: async (ctx) => ({ text: ((await sdk(ctx).chat.completions.create({ model: ctx.alias, messages })) as OpenAI.ChatCompletion).choices[0]!.message.content ?? '' }),
    },
    {
      name: 'stream',
      path: `${prefix}/chat/completions`,
      run: async (ctx) =>
        streamedText((await sdk(ctx).chat.completions.create({ model: ctx.alias, messages, stream: true })) as AsyncIterable<OpenAI.ChatCompletionChunk>, (c: OpenAI.ChatCompletionChunk) => c.choices[0]?.delta.content),
    },
    {
      name: 'embeddings',
      path: `${prefix}/embeddings`,
      run: async (ctx) => ({ vectors: ((await sdk(ctx).embeddings.create({ model: ctx.alias, input: [PROMPT] })) as OpenAI.CreateEmbeddingResponse).data.map((d) => d.embedding) }),
    },
  ];
};

/**
 * As AWS documents an Amazon Bedrock API key: the `token` option (or AWS_BEARER_TOKEN_BEDROCK) with the bearer scheme
 * preferred, sent as `Authorization: Bearer`. The client's own AWS credentials are set too: they must not go upstream.
 */
const bedrockClient = (ctx: Ctx) =>
  new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: `${ctx.proxy}/bedrock`,
    token: { token: MASTER_KEY },
    authSchemePreference: ['httpBearerAuth'],
    credentials: CLIENT_SIDE_AWS,
    requestHandler: new NodeHttpHandler(), // HTTP/1.1, as the proxy speaks it
    maxAttempts: 1,
  });

const BEARER = { header: 'authorization', prefix: 'Bearer ' };

const ROWS: readonly SdkRow[] = [
  {
    sdk: 'openai',
    option: "`baseURL: 'http://localhost:4000/openai/v1'`, `apiKey`",
    route: '/openai',
    model: 'openai/gpt-4o-mini-upstream',
    upstream: () => openAiLike(),
    base: '/v1',
    credential: BEARER,
    calls: [
      ...openAiCalls((ctx) => new OpenAI({ baseURL: `${ctx.proxy}/openai/v1`, apiKey: MASTER_KEY, maxRetries: 0 }), '/v1'),
      { name: 'models', run: async (ctx) => ({ ids: (await new OpenAI({ baseURL: `${ctx.proxy}/openai/v1`, apiKey: MASTER_KEY, maxRetries: 0 }).models.list()).data.map((m) => m.id) }) },
    ],
  },
  {
    sdk: '@anthropic-ai/sdk',
    option: "`baseURL: 'http://localhost:4000/anthropic'`, `apiKey`",
    route: '/anthropic',
    model: 'anthropic/claude-upstream-model',
    upstream: () => anthropicLike({ intervalMs: 2 }),
    base: '',
    credential: { header: 'x-api-key', prefix: '' },
    calls: (() => {
      const client = (ctx: Ctx) => new Anthropic({ baseURL: `${ctx.proxy}/anthropic`, apiKey: MASTER_KEY, maxRetries: 0 });
      return [
        { name: 'chat', path: '/v1/messages', run: async (ctx) => ({ text: (await client(ctx).messages.create({ model: ctx.alias, max_tokens: 32, messages })).content.map((b) => (b.type === 'text' ? b.text : '')).join('') }) },
        {
          name: 'stream',
          path: '/v1/messages',
          run: async (ctx) =>
            streamedText(client(ctx).messages.stream({ model: ctx.alias, max_tokens: 32, messages }), (e: Anthropic.MessageStreamEvent) =>
              e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : ''),
        },
        { name: 'models', run: async (ctx) => ({ ids: (await client(ctx).models.list()).data.map((m) => m.id) }) },
      ] satisfies SdkCall[];
    })(),
  },
  {
    sdk: '@google/genai',
    option: "`httpOptions: { baseUrl: 'http://localhost:4000/gemini' }`, `apiKey`",
    route: '/gemini',
    model: 'gemini/gemini-upstream-flash',
    upstream: () => geminiLike(),
    base: '',
    credential: { header: 'x-goog-api-key', prefix: '' },
    calls: (() => {
      const client = (ctx: Ctx) => new GoogleGenAI({ apiKey: MASTER_KEY, httpOptions: { baseUrl: `${ctx.proxy}/gemini` } });
      return [
        { name: 'chat', path: '/v1beta/models/gemini-upstream-flash:generateContent', run: async (ctx) => ({ text: (await client(ctx).models.generateContent({ model: ctx.alias, contents: PROMPT })).text ?? '' }) },
        {
          name: 'stream',
          path: '/v1beta/models/gemini-upstream-flash:streamGenerateContent',
          run: async (ctx) => streamedText(await client(ctx).models.generateContentStream({ model: ctx.alias, contents: PROMPT }), (c: { text?: string }) => c.text),
        },
        {
          name: 'embeddings',
          path: '/v1beta/models/gemini-upstream-flash:batchEmbedContents',
          run: async (ctx) => ({ vectors: ((await client(ctx).models.embedContent({ model: ctx.alias, contents: [PROMPT, 'again'] })).embeddings ?? []).map((e) => e.values ?? []) }),
        },
        {
          name: 'models',
          run: async (ctx) => {
            const ids: string[] = [];
            for await (const model of await client(ctx).models.list()) ids.push(model.name ?? '');
            return { ids: ids.map((name) => name.replace(/^models\//, '')) };
          },
        },
      ] satisfies SdkCall[];
    })(),
  },
  {
    sdk: 'cohere-ai',
    option: "`baseUrl: 'http://localhost:4000/cohere'`, `token`",
    route: '/cohere',
    model: 'cohere/command-upstream',
    upstream: () => cohereLike(),
    base: '',
    credential: BEARER,
    calls: (() => {
      const client = (ctx: Ctx) => new CohereClientV2({ token: MASTER_KEY, baseUrl: `${ctx.proxy}/cohere` });
      return [
        { name: 'chat', path: '/v2/chat', run: async (ctx) => ({ text: (await client(ctx).chat({ model: ctx.alias, messages })).message.content?.map((c) => (c.type === 'text' ? c.text : '')).join('') ?? '' }) },
        {
          name: 'stream',
          path: '/v2/chat',
          run: async (ctx) =>
            streamedText(await client(ctx).chatStream({ model: ctx.alias, messages }), (e: { type: string; delta?: { message?: { content?: { text?: string } } } }) =>
              e.type === 'content-delta' ? e.delta?.message?.content?.text : ''),
        },
        {
          name: 'embeddings',
          path: '/v2/embed',
          run: async (ctx) => ({ vectors: (await client(ctx).embed({ model: ctx.alias, texts: [PROMPT], inputType: 'search_document', embeddingTypes: ['float'] })).embeddings?.float ?? [] }),
        },
        { name: 'chat (v1)', path: '/v1/chat', run: async (ctx) => ({ text: (await new CohereClient({ token: MASTER_KEY, baseUrl: `${ctx.proxy}/cohere` }).chat({ model: ctx.alias, message: PROMPT })).text }) },
        { name: 'models', run: async (ctx) => ({ ids: (await client(ctx).models.list()).models.map((m) => m.name ?? '') }) },
      ] satisfies SdkCall[];
    })(),
  },
  {
    sdk: 'ollama',
    option: "`host: 'http://localhost:4000/ollama'`, `headers: { Authorization: 'Bearer <key>' }`",
    route: '/ollama',
    model: 'ollama/llama-upstream:latest',
    upstream: () => ollamaLike(),
    base: '',
    credential: BEARER,
    calls: (() => {
      const client = (ctx: Ctx) => new Ollama({ host: `${ctx.proxy}/ollama`, headers: { Authorization: `Bearer ${MASTER_KEY}` } });
      return [
        { name: 'chat', path: '/api/chat', run: async (ctx) => ({ text: (await client(ctx).chat({ model: ctx.alias, messages, stream: false })).message.content }) },
        { name: 'stream', path: '/api/chat', run: async (ctx) => streamedText(await client(ctx).chat({ model: ctx.alias, messages, stream: true }), (p: { message: { content: string } }) => p.message.content) },
        { name: 'embeddings', path: '/api/embed', run: async (ctx) => ({ vectors: (await client(ctx).embed({ model: ctx.alias, input: [PROMPT] })).embeddings }) },
        { name: 'models', run: async (ctx) => ({ ids: (await client(ctx).list()).models.map((m) => m.name) }) },
      ] satisfies SdkCall[];
    })(),
  },
  {
    sdk: '@mistralai/mistralai',
    option: "`serverURL: 'http://localhost:4000/mistral'`, `apiKey`",
    route: '/mistral',
    model: 'mistral/mistral-upstream-small',
    upstream: () => openAiLike(),
    base: '/v1',
    credential: BEARER,
    calls: (() => {
      const client = (ctx: Ctx) => new Mistral({ apiKey: MASTER_KEY, serverURL: `${ctx.proxy}/mistral` });
      return [
        { name: 'chat', path: '/v1/chat/completions', run: async (ctx) => ({ text: String((await client(ctx).chat.complete({ model: ctx.alias, messages })).choices[0]?.message?.content) }) },
        { name: 'stream', path: '/v1/chat/completions', run: async (ctx) => streamedText(await client(ctx).chat.stream({ model: ctx.alias, messages }), (e: { data: { choices: Array<{ delta: { content?: unknown } }> } }) => String(e.data.choices[0]?.delta.content ?? '')) },
        { name: 'embeddings', path: '/v1/embeddings', run: async (ctx) => ({ vectors: (await client(ctx).embeddings.create({ model: ctx.alias, inputs: [PROMPT] })).data.map((d) => d.embedding ?? []) }) },
        { name: 'models', run: async (ctx) => ({ ids: ((await client(ctx).models.list()).data ?? []).map((m) => ('id' in m ? m.id : '')) }) },
      ] satisfies SdkCall[];
    })(),
  },
  {
    sdk: 'groq-sdk',
    option: "`baseURL: 'http://localhost:4000/groq'`, `apiKey`",
    route: '/groq',
    model: 'groq/llama-upstream-instant',
    upstream: () => underPrefix('/openai', openAiLike()),
    base: '/openai/v1',
    credential: BEARER,
    calls: [
      ...openAiCalls((ctx) => new Groq({ baseURL: `${ctx.proxy}/groq`, apiKey: MASTER_KEY, maxRetries: 0 }), '/openai/v1'),
      { name: 'models', run: async (ctx) => ({ ids: (await new Groq({ baseURL: `${ctx.proxy}/groq`, apiKey: MASTER_KEY, maxRetries: 0 }).models.list()).data.map((m) => m.id) }) },
    ],
  },
  {
    sdk: 'together-ai',
    option: "`baseURL: 'http://localhost:4000/together_ai/v1'`, `apiKey`",
    route: '/together_ai',
    model: 'together_ai/meta-llama/upstream-turbo',
    upstream: () => openAiLike(),
    base: '/v1',
    credential: BEARER,
    calls: [
      ...openAiCalls((ctx) => new Together({ baseURL: `${ctx.proxy}/together_ai/v1`, apiKey: MASTER_KEY, maxRetries: 0 }), '/v1'),
      { name: 'models', run: async (ctx) => ({ ids: (await new Together({ baseURL: `${ctx.proxy}/together_ai/v1`, apiKey: MASTER_KEY, maxRetries: 0 }).models.list()).map((m) => m.id) }) },
    ],
  },
  {
    sdk: '@aws-sdk/client-bedrock-runtime',
    option: "`endpoint: 'http://localhost:4000/bedrock'`, `token: { token: '<key>' }` and `authSchemePreference: ['httpBearerAuth']` (or `AWS_BEARER_TOKEN_BEDROCK`)",
    route: '/bedrock',
    model: 'bedrock/anthropic.claude-upstream-v1:0',
    upstream: () => 'bedrock',
    base: '',
    credential: 'sigv4',
    calls: [
      {
        name: 'chat',
        path: '/model/anthropic.claude-upstream-v1%3A0/converse',
        run: async (ctx) => {
          const answer = await bedrockClient(ctx).send(new ConverseCommand({ modelId: ctx.alias, messages: [{ role: 'user', content: [{ text: PROMPT }] }] }));
          return { text: answer.output?.message?.content?.map((c) => c.text ?? '').join('') ?? '' };
        },
      },
      {
        name: 'stream',
        path: '/model/anthropic.claude-upstream-v1%3A0/converse-stream',
        run: async (ctx) => {
          const answer = await bedrockClient(ctx).send(new ConverseStreamCommand({ modelId: ctx.alias, messages: [{ role: 'user', content: [{ text: PROMPT }] }] }));
          return streamedText(answer.stream!, (e: { contentBlockDelta?: { delta?: { text?: string } } }) => e.contentBlockDelta?.delta?.text);
        },
      },
      {
        name: 'embeddings (InvokeModel)',
        path: '/model/anthropic.claude-upstream-v1%3A0/invoke',
        run: async (ctx) => {
          const answer = await bedrockClient(ctx).send(new InvokeModelCommand({ modelId: ctx.alias, contentType: 'application/json', body: JSON.stringify({ inputText: PROMPT }) }));
          return { vectors: [(JSON.parse(new TextDecoder().decode(answer.body)) as { embedding: number[] }).embedding] };
        },
      },
    ],
  },
];

const NONCE = Math.random().toString(36).slice(2, 8);
const aliasOf = (row: SdkRow) => `alias-${row.route.slice(1)}-${NONCE}`;
const keyOf = (row: SdkRow) => `canary-${row.route.slice(1)}-key-${NONCE}`;
const upstreamModel = (row: SdkRow) => row.model.slice(row.model.indexOf('/') + 1);

const fakes = new Map<SdkRow, FakeServer>();
let proxy: ProxyCli;

beforeAll(async () => {
  for (const row of ROWS) {
    const handler = row.upstream();
    fakes.set(
      row,
      handler === 'bedrock'
        ? await startFakeBedrock({
          key: AWS_KEY,
          // InvokeModel as an embedding model answers (Titan's shape).
          answer: (req, res) => {
            if (req.path.endsWith('/invoke')) return (sendJson(res, 200, { embedding: [0.25, 0.5, 0.75], inputTextTokenCount: 2 }), true);
            if (!req.path.endsWith('/converse-stream')) return false;
            // Whole frames, one a write: the first is an event the SDK can hand over alone.
            holdAfterFirstWrite(res);
            res.writeHead(200, { 'content-type': EVENT_STREAM });
            for (const frame of converseStreamFrames()) res.write(frame);
            res.end();
            return true;
          },
        })
        : await startFakeUpstream(gated(handler)),
    );
  }
  const entries = ROWS.map((row) => {
    const fake = fakes.get(row)!;
    const auth =
      row.credential === 'sigv4'
        ? '      aws_region_name: us-east-1\n      aws_access_key_id: os.environ/SDK_AWS_ID\n      aws_secret_access_key: os.environ/SDK_AWS_SECRET\n'
        : `      api_key: os.environ/KEY_${row.route.slice(1).toUpperCase()}\n`;
    return `  - model_name: ${aliasOf(row)}\n    litellm_params:\n      model: ${row.model}\n      api_base: ${fake.url}${row.base}\n${auth}`;
  });
  const env: Record<string, string> = { LLMPASS_MASTER_KEY: MASTER_KEY, SDK_AWS_ID: AWS_KEY.accessKeyId, SDK_AWS_SECRET: AWS_KEY.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' };
  for (const row of ROWS) env[`KEY_${row.route.slice(1).toUpperCase()}`] = keyOf(row);
  proxy = await startProxyCli({ config: `model_list:\n${entries.join('')}`, env });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([...fakes.values()].map((fake) => fake.close()));
  cleanupTemp();
});

/** Everything the upstream received, as one text: request line, raw headers and body. */
function everything(req: RecordedRequest): string {
  return [req.method, req.url, ...req.rawHeaders, req.body.toString('utf8')].join('\n');
}

const CLIENT_CREDENTIALS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'x-llmpass-api-key', 'x-litellm-api-key', 'cookie', 'x-amz-security-token'];

function expectUpstream(row: SdkRow, call: SdkCall, req: RecordedRequest): void {
  expect(req.path).toBe(call.path);
  const text = everything(req);
  // The alias swapped everywhere: in the path and the body the upstream reads only its own model.
  expect(text).not.toContain(aliasOf(row));
  expect(text.includes(upstreamModel(row)) || req.path.includes(encodeURIComponent(upstreamModel(row)))).toBe(true);
  // The provider's key in the provider's header, and no client credential.
  expect(text).not.toContain(MASTER_KEY);
  for (const client of [CLIENT_SIDE_AWS.accessKeyId, CLIENT_SIDE_AWS.sessionToken]) expect(text).not.toContain(client);
  if (row.credential === 'sigv4') {
    expect(req.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${AWS_KEY.accessKeyId}/`));
    expect((fakes.get(row) as Awaited<ReturnType<typeof startFakeBedrock>>).verdicts.at(-1)).toMatchObject({ ok: true });
  } else {
    expect(req.headers[row.credential.header]).toBe(`${row.credential.prefix}${keyOf(row)}`);
    expect(CLIENT_CREDENTIALS.filter((name) => req.headers[name] !== undefined)).toEqual([row.credential.header]);
  }
  for (const other of ROWS.filter((r) => r !== row)) expect(text).not.toContain(keyOf(other));
  expect(headerText(req.rawHeaders)).not.toContain(MASTER_KEY);
}

describe('each provider SDK through the proxy', () => {
  for (const row of ROWS) {
    describe(row.sdk, () => {
      for (const call of row.calls) {
        it(call.name, async () => {
          const fake = fakes.get(row)!;
          const before = fake.requests.length;
          gate = call.name === 'stream' ? { holding: false, events: 0, release: () => {} } : undefined;
          const answer = await call.run({ proxy: proxy.url, alias: aliasOf(row) });
          const seen = fake.requests.slice(before);
          // The stream really streamed: the SDK yielded its first event before the upstream would end its answer.
          if (gate) expect({ holding: gate.holding, events: gate.events > 1 }).toEqual({ holding: true, events: true });
          if (call.name === 'models') {
            // The proxy answers with the route's aliases, in the SDK's own shape; nothing goes upstream.
            expect(answer).toEqual({ ids: [aliasOf(row)] });
            expect(seen).toHaveLength(0);
            return;
          }
          if ('text' in answer) expect(answer.text).toMatch(row.credential === 'sigv4' ? /\S/ : new RegExp(`^Echo: ${PROMPT}`));
          if ('vectors' in answer) expect(answer.vectors.length && answer.vectors.every((v) => v.length > 0)).toBe(true);
          expect(seen).toHaveLength(1);
          expectUpstream(row, call, seen[0]!);
        });
      }
    });
  }
});

export const SDK_START = '<!-- sdks:start -->';
export const SDK_END = '<!-- sdks:end -->';

/** The README's SDK table: what to set, the route, and the calls this test makes. */
function sdkTable(): string {
  const lines = ['| SDK | Option to set | Route | Tested through the proxy |', '|---|---|---|---|'];
  for (const row of ROWS) lines.push(`| \`${row.sdk}\` | ${row.option} | \`${row.route}\` | ${row.calls.map((c) => c.name).join(', ')} |`);
  return lines.join('\n');
}

describe('README SDK table', () => {
  it('is the table of the SDKs tested above', () => {
    const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
    const result = checkProviderTable(readme, sdkTable(), { start: SDK_START, end: SDK_END });
    expect(result, `the README's table between ${SDK_START} and ${SDK_END} must be:\n${sdkTable()}\n`).toEqual({ ok: true });
  });
});
