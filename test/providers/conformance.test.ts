// One conformance table for every provider: the same passthrough goes through each one to a recording fake,
// and the test checks what arrived there: the URL path and query, the auth header (this provider's key, from
// its own environment variable), where the model went, and that no other provider's credential came along.
// The facts (default bases, key variables, header names, paths) come from shared/reference/providers.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/load.ts';
import { providerFromDeclaration } from '../../src/config/declared-providers.ts';
import type { DeclaredProvider } from '../../src/config/schema.ts';
import type { ProviderTable } from '../../src/providers/table.ts';
import { Router } from '../../src/router/router.ts';
import { joinEndpoint } from '../../src/transport/url.ts';
import { echo, startFakeUpstream, type FakeServer, type RecordedRequest } from '../fixtures/fake-upstream.ts';
import { makeServiceAccount } from '../fixtures/fake-google.ts';
import { sendJson } from '../fixtures/respond.ts';
import { verifySigV4 } from '../fixtures/sigv4-verify.ts';

/** The credential header a row expects, and the form of its value: `${prefix}${key}`. */
interface AuthExpectation {
  header: string;
  prefix: string;
}

const BEARER: AuthExpectation = { header: 'authorization', prefix: 'Bearer ' };
const header = (name: string): AuthExpectation => ({ header: name, prefix: '' });

interface Row {
  /** Unique test name. */
  name: string;
  provider: string;
  /** The provider's documented default base (undefined for self-hosted or per-resource providers). */
  defaultApiBase: string | undefined;
  /** The upstream model: the config says `<provider>/<model>`. */
  model: string;
  /** Appended to the fake's URL to make the deployment's api_base. */
  base: string;
  endpoint: string;
  /** The path the fake must see, and its query. */
  path: string;
  query?: Record<string, string>;
  /** The variable whose canary must be sent; undefined: the provider's key variables are unset for this row. */
  keyEnv: string | undefined;
  /** The credential header, or null: no credential header at all. */
  auth: AuthExpectation | null;
  /** Other headers the provider must send. */
  headers?: Record<string, string>;
  /**
   * `body`: the body's `model` is the upstream model. `path`: the model is in the path and the body is untouched,
   * but for the copies of the alias a provider's API repeats in it (`pathModelInBody`).
   */
  model_in: 'body' | 'path';
  /** What the body's `model` naming the alias becomes where the API repeats the path's model in it (Gemini). */
  pathModelInBody?: string;
  /** Extra litellm_params and environment for this row. */
  params?: Record<string, unknown>;
  env?: Record<string, string>;
  /** A known product bug this row shows: the row runs with it.fails until it is fixed. */
  bug?: string;
  /**
   * A signed scheme (SigV4, an OAuth token): what the credential header must pass instead of carrying a key's
   * canary. test/cloud/ covers these providers in depth (published vectors, a verifying fake, token refresh).
   */
  signed?: (req: RecordedRequest) => void;
}

/** Bedrock's conformance credentials: the fake recomputes the signature with them. */
const AWS_KEY = { accessKeyId: 'AKIDCONFORMANCE', secretAccessKey: 'conformance-aws-secret', region: 'us-east-1', service: 'bedrock' };
/** Where the conformance fake issues Vertex's token (the service account's token_uri). */
const TOKEN_PATH = '/conformance-oauth/token';
const TOKEN = 'ya29.conformance-token';

/** Declared in a config, without code. */
const ACME: DeclaredProvider = {
  id: 'acme',
  label: 'ACME inference',
  api_base: 'https://llm.acme.example/v1',
  auth: { header: 'x-acme-key' },
  api_key_env: 'ACME_KEY',
  model: 'body',
};

const ROWS: readonly Row[] = [
  // vLLM: self-hosted; `/v1` on the base is stripped for root routes, a gateway prefix is kept; Bearer only with a key.
  { name: 'hosted_vllm (key set)', provider: 'hosted_vllm', defaultApiBase: undefined, model: 'papluca/xlm-roberta-base-language-detection', base: '/team-a/v1', endpoint: 'classify', path: '/team-a/classify', keyEnv: 'HOSTED_VLLM_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'hosted_vllm (no key)', provider: 'hosted_vllm', defaultApiBase: undefined, model: 'Qwen/Qwen2.5-0.5B-Instruct', base: '/v1', endpoint: 'v1/chat/completions', path: '/v1/chat/completions', keyEnv: undefined, auth: null, model_in: 'body' },
  // OpenAI, and `openai/<model>` against a self-hosted server without a key.
  { name: 'openai', provider: 'openai', defaultApiBase: 'https://api.openai.com/v1', model: 'gpt-4o-mini', base: '/v1', endpoint: 'chat/completions', path: '/v1/chat/completions', keyEnv: 'OPENAI_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'openai (self-hosted, no key)', provider: 'openai', defaultApiBase: 'https://api.openai.com/v1', model: 'local-model', base: '', endpoint: 'v1/chat/completions', path: '/v1/chat/completions', keyEnv: undefined, auth: null, model_in: 'body' },
  // Anthropic: x-api-key and the required version header.
  { name: 'anthropic', provider: 'anthropic', defaultApiBase: 'https://api.anthropic.com', model: 'claude-sonnet-4-20250514', base: '', endpoint: 'v1/messages', path: '/v1/messages', keyEnv: 'ANTHROPIC_API_KEY', auth: header('x-api-key'), headers: { 'anthropic-version': '2023-06-01' }, model_in: 'body' },
  // Gemini: the model in the path, the key in x-goog-api-key and never in ?key=.
  { name: 'gemini', provider: 'gemini', defaultApiBase: 'https://generativelanguage.googleapis.com', model: 'gemini-2.0-flash', base: '', endpoint: 'generateContent', path: '/v1beta/models/gemini-2.0-flash:generateContent', keyEnv: 'GEMINI_API_KEY', auth: header('x-goog-api-key'), model_in: 'path', pathModelInBody: 'models/gemini-2.0-flash' },
  { name: 'gemini (stream)', provider: 'gemini', defaultApiBase: 'https://generativelanguage.googleapis.com', model: 'gemini-2.0-flash', base: '', endpoint: 'streamGenerateContent', path: '/v1beta/models/gemini-2.0-flash:streamGenerateContent', query: { alt: 'sse' }, keyEnv: 'GEMINI_API_KEY', auth: header('x-goog-api-key'), model_in: 'path', pathModelInBody: 'models/gemini-2.0-flash' },
  // Azure OpenAI: classic paths route on the deployment and need api-version; the key goes in api-key.
  { name: 'azure', provider: 'azure', defaultApiBase: undefined, model: 'gpt4o-prod', base: '', endpoint: 'chat/completions', path: '/openai/deployments/gpt4o-prod/chat/completions', query: { 'api-version': '2024-10-21' }, keyEnv: 'AZURE_OPENAI_API_KEY', auth: header('api-key'), model_in: 'path' },
  { name: 'azure (api_version param, gateway prefix)', provider: 'azure', defaultApiBase: undefined, model: 'embed-prod', base: '/apim', endpoint: 'embeddings', path: '/apim/openai/deployments/embed-prod/embeddings', query: { 'api-version': '2025-04-01-preview' }, keyEnv: 'AZURE_OPENAI_API_KEY', auth: header('api-key'), model_in: 'path', params: { api_version: '2025-04-01-preview' } },
  { name: 'azure (AZURE_API_VERSION)', provider: 'azure', defaultApiBase: undefined, model: 'gpt4o-prod', base: '', endpoint: 'chat/completions', path: '/openai/deployments/gpt4o-prod/chat/completions', query: { 'api-version': '2024-06-01' }, keyEnv: 'AZURE_OPENAI_API_KEY', auth: header('api-key'), model_in: 'path', env: { AZURE_API_VERSION: '2024-06-01' } },
  {
    name: 'azure (v1 API: deployment in the body)', provider: 'azure', defaultApiBase: undefined, model: 'gpt4o-prod', base: '', endpoint: 'openai/v1/chat/completions', path: '/openai/v1/chat/completions', keyEnv: 'AZURE_OPENAI_API_KEY', auth: header('api-key'), model_in: 'body',
  },
  // Cohere v2: Bearer, COHERE_API_KEY before CO_API_KEY.
  { name: 'cohere', provider: 'cohere', defaultApiBase: 'https://api.cohere.com', model: 'command-r-plus', base: '', endpoint: 'v2/chat', path: '/v2/chat', keyEnv: 'COHERE_API_KEY', auth: BEARER, model_in: 'body' },
  // Ollama: no key locally, Bearer when one is set (ollama.com).
  { name: 'ollama (no key)', provider: 'ollama', defaultApiBase: 'http://localhost:11434', model: 'llama3.2:latest', base: '', endpoint: 'api/chat', path: '/api/chat', keyEnv: undefined, auth: null, model_in: 'body' },
  { name: 'ollama (key set)', provider: 'ollama', defaultApiBase: 'http://localhost:11434', model: 'llama3.2:latest', base: '', endpoint: 'v1/chat/completions', path: '/v1/chat/completions', keyEnv: 'OLLAMA_API_KEY', auth: BEARER, model_in: 'body' },
  // The OpenAI-compatible services: base path kept, Bearer from their own variable, body model.
  { name: 'groq', provider: 'groq', defaultApiBase: 'https://api.groq.com/openai/v1', model: 'llama-3.3-70b-versatile', base: '/openai/v1', endpoint: 'chat/completions', path: '/openai/v1/chat/completions', keyEnv: 'GROQ_API_KEY', auth: BEARER, model_in: 'body' },
  // The provider SDKs' own spellings, the base's path written again: groq-sdk, Fireworks and OpenRouter's documented bases.
  { name: 'groq (groq-sdk spelling)', provider: 'groq', defaultApiBase: 'https://api.groq.com/openai/v1', model: 'llama-3.1-8b-instant', base: '/openai/v1', endpoint: 'openai/v1/embeddings', path: '/openai/v1/embeddings', keyEnv: 'GROQ_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'fireworks_ai (host-relative)', provider: 'fireworks_ai', defaultApiBase: 'https://api.fireworks.ai/inference/v1', model: 'accounts/fireworks/models/x', base: '/inference/v1', endpoint: 'inference/v1/chat/completions', path: '/inference/v1/chat/completions', keyEnv: 'FIREWORKS_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'openrouter (host-relative)', provider: 'openrouter', defaultApiBase: 'https://openrouter.ai/api/v1', model: 'openai/gpt-4o', base: '/api/v1', endpoint: 'api/v1/chat/completions', path: '/api/v1/chat/completions', keyEnv: 'OPENROUTER_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'deepinfra (host-relative)', provider: 'deepinfra', defaultApiBase: 'https://api.deepinfra.com/v1/openai', model: 'BAAI/bge-m3', base: '/v1/openai', endpoint: 'v1/openai/embeddings', path: '/v1/openai/embeddings', keyEnv: 'DEEPINFRA_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'together_ai', provider: 'together_ai', defaultApiBase: 'https://api.together.xyz/v1', model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', base: '/v1', endpoint: 'v1/chat/completions', path: '/v1/chat/completions', keyEnv: 'TOGETHER_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'fireworks_ai', provider: 'fireworks_ai', defaultApiBase: 'https://api.fireworks.ai/inference/v1', model: 'accounts/fireworks/models/llama-v3p1-8b-instruct', base: '/inference/v1', endpoint: 'chat/completions', path: '/inference/v1/chat/completions', keyEnv: 'FIREWORKS_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'deepseek', provider: 'deepseek', defaultApiBase: 'https://api.deepseek.com', model: 'deepseek-chat', base: '', endpoint: 'chat/completions', path: '/chat/completions', keyEnv: 'DEEPSEEK_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'openrouter', provider: 'openrouter', defaultApiBase: 'https://openrouter.ai/api/v1', model: 'anthropic/claude-3.5-sonnet', base: '/api/v1', endpoint: 'chat/completions', path: '/api/v1/chat/completions', keyEnv: 'OPENROUTER_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'xai', provider: 'xai', defaultApiBase: 'https://api.x.ai/v1', model: 'grok-2-latest', base: '/v1', endpoint: 'chat/completions', path: '/v1/chat/completions', keyEnv: 'XAI_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'perplexity', provider: 'perplexity', defaultApiBase: 'https://api.perplexity.ai', model: 'sonar', base: '', endpoint: 'chat/completions', path: '/chat/completions', keyEnv: 'PERPLEXITYAI_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'deepinfra', provider: 'deepinfra', defaultApiBase: 'https://api.deepinfra.com/v1/openai', model: 'meta-llama/Meta-Llama-3-8B-Instruct', base: '/v1/openai', endpoint: 'embeddings', path: '/v1/openai/embeddings', keyEnv: 'DEEPINFRA_API_KEY', auth: BEARER, model_in: 'body' },
  { name: 'mistral', provider: 'mistral', defaultApiBase: 'https://api.mistral.ai/v1', model: 'mistral-small-latest', base: '/v1', endpoint: 'embeddings', path: '/v1/embeddings', keyEnv: 'MISTRAL_API_KEY', auth: BEARER, model_in: 'body' },
  // Bedrock: SigV4 for the service `bedrock`, the model id one %3A-encoded path segment; or a Bedrock API key as Bearer.
  {
    name: 'bedrock (SigV4)', provider: 'bedrock', defaultApiBase: 'https://bedrock-runtime.us-west-2.amazonaws.com', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', base: '', endpoint: 'converse', path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse', keyEnv: undefined, auth: BEARER, model_in: 'path',
    params: { aws_region_name: 'us-east-1', aws_access_key_id: AWS_KEY.accessKeyId, aws_secret_access_key: AWS_KEY.secretAccessKey },
    signed: (req) => expect(verifySigV4(req, AWS_KEY)).toMatchObject({ ok: true }),
  },
  { name: 'bedrock (API key)', provider: 'bedrock', defaultApiBase: 'https://bedrock-runtime.us-west-2.amazonaws.com', model: 'meta.llama3-8b-instruct-v1:0', base: '', endpoint: 'invoke', path: '/model/meta.llama3-8b-instruct-v1%3A0/invoke', keyEnv: 'AWS_BEARER_TOKEN_BEDROCK', auth: BEARER, model_in: 'path' },
  // Vertex AI: project, location, publisher and model in the path; an OAuth token from the service account's token_uri.
  {
    name: 'vertex_ai', provider: 'vertex_ai', defaultApiBase: 'https://us-central1-aiplatform.googleapis.com', model: 'gemini-2.0-flash', base: '', endpoint: 'generateContent', path: '/v1/projects/conformance-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent', keyEnv: undefined, auth: BEARER, model_in: 'path',
    params: { vertex_project: 'conformance-project', vertex_location: 'us-central1', vertex_credentials: 'os.environ/CONFORMANCE_VERTEX_SA' },
    signed: (req) => expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`),
  },
  // A provider declared in the config: its own header and key variable.
  { name: 'acme (declared in the config)', provider: 'acme', defaultApiBase: 'https://llm.acme.example/v1', model: 'acme-large', base: '/v1', endpoint: 'chat/completions', path: '/v1/chat/completions', keyEnv: 'ACME_KEY', auth: header('x-acme-key'), model_in: 'body' },
];

/** Every header that may carry a credential, whichever provider it belongs to. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'x-acme-key', 'proxy-authorization', 'cookie'];

const NONCE = Math.random().toString(36).slice(2, 8);
/** Distinct per variable, and none is a substring of another (the `canary-` lead and the nonce bound each one). */
const canary = (name: string): string => `canary-${name}-${NONCE}`;

let fake: FakeServer;
/** Every provider's key variables (and the rows' own) set to canaries; every base variable to a dead port. */
let allEnv: Record<string, string>;
let keyVars: string[];
/** The table of a config that declares ACME: built-ins, registered providers and ACME. */
let table: ProviderTable;

beforeAll(async () => {
  const answer = echo();
  fake = await startFakeUpstream((req, res) => (req.path === TOKEN_PATH ? sendJson(res, 200, { access_token: TOKEN, expires_in: 3600, token_type: 'Bearer' }) : answer(req, res)));
  // A config that declares a provider has it in its own table, as loading the config file would.
  table = configFromObject({ providers: [ACME] }, undefined, {}).providers;
  keyVars = [...new Set([...table.list().flatMap((p) => p.apiKeyEnv), ...ROWS.flatMap((r) => (r.keyEnv ? [r.keyEnv] : []))])];
  allEnv = {};
  for (const name of keyVars) allEnv[name] = canary(name);
  // The alias's api_base must win over the provider's base variables: a request sent there fails.
  for (const name of table.list().flatMap((p) => p.apiBaseEnv)) allEnv[name] = `http://127.0.0.1:9/${name}`;
  allEnv.CONFORMANCE_VERTEX_SA = JSON.stringify(makeServiceAccount(`${fake.url}${TOKEN_PATH}`).json);
});

afterAll(async () => {
  await fake?.close();
});

function envFor(row: Row): Record<string, string> {
  const env = { ...allEnv, ...row.env };
  if (row.keyEnv === undefined) for (const name of table.find(row.provider)!.apiKeyEnv) delete env[name];
  return env;
}

/** Everything the fake received, as one lower-cased text: request line, raw headers and body bytes. */
function everything(req: RecordedRequest): string {
  return [req.method, req.url, ...req.rawHeaders, req.body.toString('utf8')].join('\n').toLowerCase();
}

describe('provider conformance: the table covers the registry', () => {
  it('every registered provider has a row, and every row names a registered provider', () => {
    const ids = table.list().map((p) => p.id);
    expect(ids).toContain('acme');
    expect(ids.filter((id) => !ROWS.some((row) => row.provider === id)), 'providers without a conformance row').toEqual([]);
    expect(ROWS.filter((row) => !ids.includes(row.provider)).map((row) => row.name), 'rows for unknown providers').toEqual([]);
    expect(new Set(ROWS.map((row) => row.name)).size).toBe(ROWS.length);
  });

  it('each row states its provider\'s default base, and some row keeps that base\'s path on the fake', () => {
    for (const provider of table.list()) {
      const rows = ROWS.filter((row) => row.provider === provider.id);
      for (const row of rows) expect(provider.defaultApiBase, row.name).toBe(row.defaultApiBase);
      if (!provider.defaultApiBase) continue;
      const path = new URL(provider.defaultApiBase).pathname.replace(/\/+$/, '');
      expect(rows.some((row) => row.base === path), `${provider.id}: a row whose fake base keeps "${path}"`).toBe(true);
    }
  });

  it('each row\'s key variable is the provider\'s first, and every provider\'s key variables get a canary', () => {
    for (const row of ROWS) if (row.keyEnv) expect(table.find(row.provider)!.apiKeyEnv[0], row.name).toBe(row.keyEnv);
    for (const provider of table.list()) for (const name of provider.apiKeyEnv) expect(allEnv[name], name).toBe(canary(name));
  });

  it('a declared provider\'s join examples hold (built-in ones are checked in test/transport/url.test.ts)', () => {
    const spec = providerFromDeclaration(ACME);
    expect(spec.joinExamples.length).toBeGreaterThan(0);
    for (const [base, endpoint, expected] of spec.joinExamples) expect(joinEndpoint(base, endpoint, spec.join).href).toBe(expected);
  });
});

describe('provider conformance: the same passthrough through every provider', () => {
  for (const row of ROWS) {
    const test = row.bug ? it.fails : it;
    test(`${row.name}${row.bug ? ` [known bug: ${row.bug}]` : ''}`, async () => {
      const alias = `conf-${row.name.replace(/[^a-z0-9]+/gi, '-')}`;
      const config = configFromObject(
        {
          model_list: [{ model_name: alias, litellm_params: { model: `${row.provider}/${row.model}`, api_base: `${fake.url}${row.base}`, ...row.params } }],
          ...(row.provider === 'acme' ? { providers: [ACME] } : {}),
        },
        undefined,
        envFor(row),
      );
      const router = new Router({ config, numRetries: 0 });
      const sent = { model: alias, input: 'x' };
      const before = fake.requests.length;

      const res = await router.passthrough({ model: alias, endpoint: row.endpoint, json: sent });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      // (Vertex's token request goes to the same fake; it is the token endpoint's, not the provider's.)
      const got = fake.requests.slice(before).filter((req) => req.path !== TOKEN_PATH);
      expect(got).toHaveLength(1);
      const req = got[0]!;

      // The URL: the base's path kept and joined by the provider's rule, and exactly the expected query.
      expect(req.method).toBe('POST');
      expect(req.path).toBe(row.path);
      expect(Object.fromEntries(req.query)).toEqual(row.query ?? {});
      expect(req.query.has('key')).toBe(false);

      // The credential: this provider's canary in its header, in its form, and no other credential header.
      const own = row.keyEnv ? canary(row.keyEnv) : undefined;
      if (row.signed) row.signed(req);
      else if (row.auth) {
        expect(own, 'a row with an auth header names its key variable').toBeDefined();
        expect(req.headers[row.auth.header]).toBe(`${row.auth.prefix}${own}`);
      }
      const credentialHeaders = CREDENTIAL_HEADERS.filter((name) => req.headers[name] !== undefined);
      expect(credentialHeaders).toEqual(row.auth ? [row.auth.header] : []);
      for (const [name, value] of Object.entries(row.headers ?? {})) expect(req.headers[name], name).toBe(value);

      // No other canary anywhere: not in a header, not in the URL, not in the body.
      const text = everything(req);
      const leaked = keyVars.filter((name) => canary(name) !== own && text.includes(canary(name).toLowerCase()));
      expect(leaked, 'other credentials sent').toEqual([]);
      if (own) expect(text.split(own.toLowerCase()).length - 1, 'own key sent once').toBe(1);

      // The model: in the body as the upstream model, or in the path with the body left as sent (but for copies of the alias).
      if (row.model_in === 'body') {
        expect(req.json).toEqual({ ...sent, model: row.model });
      } else {
        expect(req.path).toContain(encodeURIComponent(row.model));
        expect(req.json).toEqual(row.pathModelInBody ? { ...sent, model: row.pathModelInBody } : sent);
      }
    });
  }
});
