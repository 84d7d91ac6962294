// Vertex AI through the library against a loopback token endpoint and Vertex: a service account made here with its
// own key pair, whose token_uri google-auth-library is made to honour; tokens cached, one fetch for a burst, fetched
// anew before they expire; short forms and LiteLLM's full paths; an alias in the model's place.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { configFromObject } from '../../src/config/load.ts';
import { CredentialsError } from '../../src/errors.ts';
import { Router } from '../../src/router/router.ts';
import { makeServiceAccount, startFakeOAuth, startFakeVertex, type FakeOAuth, type FakeVertex, type ServiceAccount } from '../fixtures/fake-google.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

let oauth: FakeOAuth;
let vertex: FakeVertex;
let account: ServiceAccount;

beforeAll(async () => {
  oauth = await startFakeOAuth();
  vertex = await startFakeVertex(oauth);
  account = makeServiceAccount(oauth.tokenUri);
  oauth.trust(account);
});

afterAll(async () => {
  await vertex?.close();
  await oauth?.close();
  cleanupTemp();
});

afterEach(() => {
  vi.useRealTimers();
});

function router(entries: Array<{ name: string; model: string; params?: Record<string, unknown> }>, env: Record<string, string> = {}): Router {
  const config = configFromObject(
    { model_list: entries.map((entry) => ({ model_name: entry.name, litellm_params: { model: entry.model, ...entry.params } })) },
    undefined,
    env,
  );
  return new Router({ config, numRetries: 0 });
}

/** The `iss` of the assertion a token request carried. */
function issuerOf(body: Buffer): string | undefined {
  const payload = new URLSearchParams(body.toString('utf8')).get('assertion')?.split('.')[1];
  return payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: string }).iss : undefined;
}

const ASK = { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] };

describe('Vertex AI: OAuth tokens from a service account', () => {
  it('generateContent (short form) with the key inline from os.environ/...: token from token_uri, bearer checked', async () => {
    const before = oauth.issued.length;
    const r = router([{ name: 'my-gemini', model: 'vertex_ai/gemini-2.0-flash', params: { api_base: vertex.url, vertex_project: 'test-project', vertex_location: 'us-central1', vertex_credentials: 'os.environ/SA_JSON' } }], {
      SA_JSON: JSON.stringify(account.json),
    });
    const res = await r.passthrough({ model: 'my-gemini', endpoint: 'generateContent', json: ASK });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ candidates: [{ content: { parts: [{ text: 'Hello from Vertex' }] } }] });
    expect(vertex.requests.at(-1)!.path).toBe('/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent');
    expect(vertex.requests.at(-1)!.json).toEqual(ASK);
    expect(oauth.issued.length).toBeGreaterThanOrEqual(before);
    expect(oauth.refusals).toEqual([]);
  });

  it('a key file path, the project from the key; streamGenerateContent asks for SSE', async () => {
    const dir = tempDir('llmpass-vertex-');
    const file = join(dir, 'sa.json');
    writeFileSync(file, JSON.stringify(account.json));
    const r = router([{ name: 'g', model: 'vertex_ai/gemini-2.0-flash', params: { api_base: vertex.url, vertex_location: 'europe-west4', vertex_credentials: file } }]);
    const res = await r.passthrough({ model: 'g', endpoint: 'streamGenerateContent', json: ASK });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await res.text()).toContain('Vertex');
    expect(vertex.requests.at(-1)!.url).toBe('/v1/projects/test-project/locations/europe-west4/publishers/google/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
  });

  it('a partner model: publishers/anthropic and rawPredict, the body untouched', async () => {
    const r = router([{ name: 'c', model: 'vertex_ai/claude-3-5-sonnet-v2@20241022', params: { api_base: vertex.url, vertex_project: 'p1', vertex_location: 'us-east5', vertex_credentials: account.json } }]);
    const body = { anthropic_version: 'vertex-2023-10-16', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] };
    const res = await r.passthrough({ model: 'c', endpoint: 'rawPredict', json: body });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
    expect(vertex.requests.at(-1)!.url).toBe('/v1/projects/p1/locations/us-east5/publishers/anthropic/models/claude-3-5-sonnet-v2@20241022:rawPredict');
    expect(vertex.requests.at(-1)!.json).toEqual(body);
  });

  it('LiteLLM\'s full path with an alias in the model\'s place: the deployment\'s model, project and location', async () => {
    const r = router([{ name: 'my-gemini', model: 'vertex_ai/gemini-2.0-flash', params: { api_base: vertex.url, vertex_project: 'real-proj', vertex_location: 'us-central1', vertex_credentials: account.json } }]);
    const reply = await r.send({
      model: 'my-gemini',
      endpoint: 'v1/projects/whatever/locations/asia-east1/publishers/google/models/my-gemini:generateContent',
      pathModel: 'my-gemini',
      json: ASK,
    });
    expect(reply.status).toBe(200);
    reply.body.resume();
    expect(vertex.requests.at(-1)!.path).toBe('/v1/projects/real-proj/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent');
  });

  it('a burst of calls fetches one token; it is fetched again before it expires', async () => {
    const fresh = makeServiceAccount(oauth.tokenUri, 'burst-project');
    oauth.trust(fresh);
    const r = router([{ name: 'b', model: 'vertex_ai/gemini-2.0-flash', params: { api_base: vertex.url, vertex_credentials: fresh.json } }]);
    const tokenCalls = () => oauth.requests.filter((req) => issuerOf(req.body) === fresh.email).length;
    const before = tokenCalls();
    const answers = await Promise.all(Array.from({ length: 10 }, () => r.passthrough({ model: 'b', endpoint: 'countTokens', json: ASK })));
    for (const res of answers) {
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(tokenCalls() - before).toBe(1);
    const again = await r.passthrough({ model: 'b', endpoint: 'countTokens', json: ASK });
    await again.arrayBuffer();
    expect(tokenCalls() - before).toBe(1);
    // 56 minutes on: inside the margin before the hour's token expires.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 56 * 60_000);
    const later = await r.passthrough({ model: 'b', endpoint: 'countTokens', json: ASK });
    expect(later.status).toBe(200);
    await later.arrayBuffer();
    expect(tokenCalls() - before).toBe(2);
  });

  it('a key the token endpoint refuses: one clear error, never the key', async () => {
    const stranger = makeServiceAccount(oauth.tokenUri, 'stranger-project');
    const r = router([{ name: 's', model: 'vertex_ai/gemini-2.0-flash', params: { api_base: vertex.url, vertex_credentials: stranger.json } }]);
    const error = await r.passthrough({ model: 's', endpoint: 'generateContent', json: ASK }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    const message = (error as Error).message;
    expect(message).toMatch(/alias "s".*could not get a Google access token for llmpass-test@stranger-project\.iam\.gserviceaccount\.com: invalid_grant/);
    expect(message).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(error)).not.toContain(stranger.json.private_key!.slice(40, 80));
  });

  it('a token given as the key is used as it is', async () => {
    const r = router([{ name: 't', model: 'vertex_ai/gemini-2.0-flash', params: { api_base: vertex.url, vertex_project: 'p', api_key: 'ya29.given-by-hand' } }]);
    const reply = await r.send({ model: 't', endpoint: 'generateContent', json: ASK });
    expect(reply.status).toBe(401);
    reply.body.resume();
    expect(vertex.requests.at(-1)!.headers.authorization).toBe('Bearer ya29.given-by-hand');
  });
});

describe('Vertex AI: hosts and paths', () => {
  it('the global location uses aiplatform.googleapis.com; others their regional host', () => {
    const r = router([
      { name: 'glob', model: 'vertex_ai/gemini-2.5-pro', params: { vertex_project: 'p', vertex_location: 'global' } },
      { name: 'eu', model: 'vertex_ai/gemini-2.5-pro', params: { vertex_project: 'p', vertex_location: 'europe-west4' } },
      { name: 'dflt', model: 'vertex_ai/text-embedding-005' },
    ], { VERTEXAI_PROJECT: 'env-proj' });
    expect(r.prepare({ model: 'glob', endpoint: 'generateContent' }).url.href).toBe(
      'https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro:generateContent',
    );
    expect(r.prepare({ model: 'eu', endpoint: 'streamGenerateContent' }).url.href).toBe(
      'https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
    );
    expect(r.prepare({ model: 'dflt', endpoint: 'predict' }).url.href).toBe(
      'https://us-central1-aiplatform.googleapis.com/v1/projects/env-proj/locations/us-central1/publishers/google/models/text-embedding-005:predict',
    );
  });

  it('a short form without any project is a usage error that says where to set one', () => {
    const r = router([{ name: 'np', model: 'vertex_ai/gemini-2.0-flash' }]);
    expect(() => r.prepare({ model: 'np', endpoint: 'generateContent' })).toThrow(/needs a project: set vertex_project/);
  });
});
