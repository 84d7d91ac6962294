// LiteLLM's general_settings.pass_through_endpoints served by `llmpass proxy`, behind the master key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { headerText, http, postJson, startProxyCli, stopAllProxies, type ProxyCli, type ProxyErrorBody } from '../support/proxy.ts';

const MASTER_KEY = 'sk-llmpass-pte-master-e1f2a3';
const COHERE_KEY = 'co-pte-canary-445566';
const TOOLS_KEY = 'tools-pte-canary-778899';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };

let target: FakeServer;
let vllm: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  target = await startFakeUpstream(echo());
  vllm = await startFakeUpstream(echo());
  proxy = await startProxyCli({
    config: `general_settings:
  master_key: os.environ/PTE_MASTER_KEY
  pass_through_endpoints:
    - path: /v1/rerank
      target: ${target.url}/cohere/v1/rerank
      headers:
        Authorization: os.environ/COHERE_API_KEY
        content-type: application/json
        X-Static: fixed-value
    - path: /team/tools
      target: ${target.url}/base/tools
      include_subpath: true
      forward_headers: true
      headers:
        x-route-key: os.environ/TOOLS_KEY
    - path: /vllm/special
      target: ${target.url}/special
    - path: /litellm-docs/rerank
      target: ${target.url}/docs/rerank
      headers:
        Authorization: "bearer os.environ/COHERE_API_KEY"
`,
    env: { PTE_MASTER_KEY: MASTER_KEY, COHERE_API_KEY: COHERE_KEY, TOOLS_KEY, VLLM_API_BASE: vllm.url },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([target, vllm].map((server) => server?.close()));
  cleanupTemp();
});

describe('pass_through_endpoints', () => {
  it('forwards to the target with the configured headers (os.environ/VAR resolved), the body untouched', async () => {
    const body = '{"model":"rerank-english-v3.0",  "query":"q", "documents":["a","b"]}';
    const answer = await http(`${proxy.url}/v1/rerank`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json', 'x-client-trace': 't-1' },
      body,
    });
    expect(answer.status, answer.text).toBe(200);
    const seen = target.requests.at(-1)!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/cohere/v1/rerank');
    expect(seen.body.toString('utf8')).toBe(body);
    expect(seen.headers.authorization).toBe(COHERE_KEY);
    expect(seen.headers['x-static']).toBe('fixed-value');
    expect(seen.headers['content-type']).toBe('application/json');
    // without forward_headers only the configured headers (and the body's type) go upstream, as LiteLLM
    expect(seen.headers).not.toHaveProperty('x-client-trace');
    expect(headerText(seen.rawHeaders)).not.toContain(MASTER_KEY);
  });

  it('needs the master key like every other route', async () => {
    const before = target.requests.length;
    const answer = await postJson(`${proxy.url}/v1/rerank`, { query: 'q' }, undefined);
    expect(answer.status).toBe(401);
    expect(answer.json<ProxyErrorBody>().error.type).toBe('authentication_error');
    expect((await postJson(`${proxy.url}/v1/rerank`, { query: 'q' }, 'sk-wrong')).status).toBe(401);
    expect(target.requests.length).toBe(before);
  });

  it('without include_subpath, a longer path is not the route', async () => {
    const before = target.requests.length;
    const answer = await http(`${proxy.url}/v1/rerank/more`, { headers: AUTH });
    expect(answer.status).toBe(404);
    expect(answer.json<ProxyErrorBody>().error.code).toBe('route_not_found');
    expect(target.requests.length).toBe(before);
  });

  it('include_subpath joins the rest of the path to the target and keeps the query (minus ?key=)', async () => {
    const answer = await http(`${proxy.url}/team/tools/search/deep?q=llm&page=2&key=${MASTER_KEY}`, { headers: { 'x-client-trace': 't-2' } });
    expect(answer.status, answer.text).toBe(200);
    const seen = target.requests.at(-1)!;
    expect(seen.path).toBe('/base/tools/search/deep');
    expect(seen.query.get('q')).toBe('llm');
    expect(seen.query.get('page')).toBe('2');
    expect(seen.query.has('key')).toBe(false);
    expect(seen.url).not.toContain(MASTER_KEY);
    expect(seen.headers['x-route-key']).toBe(TOOLS_KEY);
  });

  it('the route itself (no subpath) goes to the target', async () => {
    expect((await http(`${proxy.url}/team/tools`, { headers: AUTH })).status).toBe(200);
    expect(target.requests.at(-1)!.path).toBe('/base/tools');
  });

  it('forward_headers passes the client\'s end-to-end headers, never its credentials', async () => {
    const answer = await http(`${proxy.url}/team/tools/x`, {
      method: 'PUT',
      headers: {
        'x-llmpass-api-key': MASTER_KEY,
        authorization: 'Bearer some-other-token',
        'x-api-key': MASTER_KEY,
        cookie: 'sid=1',
        'x-client-trace': 't-3',
        'content-type': 'text/plain',
      },
      body: 'plain body',
    });
    expect(answer.status, answer.text).toBe(200);
    const seen = target.requests.at(-1)!;
    expect(seen.method).toBe('PUT');
    expect(seen.body.toString('utf8')).toBe('plain body');
    expect(seen.headers['x-client-trace']).toBe('t-3');
    expect(seen.headers['content-type']).toBe('text/plain');
    for (const name of ['authorization', 'x-api-key', 'x-llmpass-api-key', 'cookie']) expect(seen.headers, name).not.toHaveProperty(name);
    expect(headerText(seen.rawHeaders)).not.toContain(MASTER_KEY);
  });

  it('a configured route wins over a provider prefix it lies under', async () => {
    const before = vllm.requests.length;
    expect((await http(`${proxy.url}/vllm/special`, { headers: AUTH })).status).toBe(200);
    expect(target.requests.at(-1)!.path).toBe('/special');
    expect(vllm.requests.length).toBe(before);
    // the rest of /vllm is still the provider
    expect((await http(`${proxy.url}/vllm/other`, { headers: AUTH })).status).toBe(200);
    expect(vllm.requests.at(-1)!.path).toBe('/other');
  });

  // Bug: LiteLLM resolves `os.environ/VAR` anywhere in a pass-through header value; its documented form is
  // `Authorization: "bearer os.environ/COHERE_API_KEY"`. llmpass only resolves a value that is wholly
  // `os.environ/VAR` (src/proxy/configured-route.ts → resolveEnvValue in src/config/env.ts), so such a LiteLLM
  // config sends the literal text `bearer os.environ/COHERE_API_KEY` upstream.
  it('resolves "bearer os.environ/VAR" in a header as LiteLLM does', async () => {
    expect((await postJson(`${proxy.url}/litellm-docs/rerank`, { query: 'q' }, MASTER_KEY)).status).toBe(200);
    expect(target.requests.at(-1)!.headers.authorization).toBe(`bearer ${COHERE_KEY}`);
  });
});
