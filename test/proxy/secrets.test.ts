// Secret canaries: a distinct value for the master key and for each provider key. After a run of requests,
// successes and errors alike, no canary may show up in the proxy's output, its error bodies or /metrics, and each
// upstream may only ever have seen its own provider's key. An alias and a pass-through route hold credentials in the
// other places a config can (extra_headers, api_base userinfo and query, a route's headers and target query), against
// an upstream that echoes them back in its errors: the readiness probe's reasons and every error body mask them.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicLike, echo, openAiLike, startFakeUpstream } from '../fixtures/fake-upstream.ts';
import { sendJson } from '../fixtures/respond.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import { deadPort } from '../support/cli.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { headerText, http, postJson, startProxyCli, stopAllProxies, type HttpAnswer, type ProxyCli } from '../support/proxy.ts';
import { expectNoSecret } from '../support/secrets.ts';

const CANARY = {
  master: 'canary-MASTER-5d1f0b9a77e2',
  vllm: 'canary-VLLM-0a8c3e1f4b26',
  openai: 'canary-OPENAI-9e7d2c4a1f38',
  anthropic: 'canary-ANTHROPIC-3b6a8d0e2c51',
  deadAlias: 'canary-DEADALIAS-77aa11bb22cc',
  header: 'canary-HEADER-4c5d6e7f8a9b',
  userinfo: 'canary-USERINFO-1a2b3c4d5e6f',
  code: 'canary-CODE-9f8e7d6c5b4a',
  route: 'canary-ROUTE-0f1e2d3c4b5a',
} as const;
const ALL = Object.values(CANARY);
const ALIAS = 'roberta-base-language-detection';

let vllm: FakeServer;
let openai: FakeServer;
let anthropic: FakeServer;
let echoing: FakeServer;
let readiness = '';
let proxy: ProxyCli;
let exitCode: number | null | undefined;
/** Every body the proxy answered with that was one of its own errors (4xx/5xx it made), and the metrics text. */
const proxyErrorBodies: string[] = [];
let metricsText = '';

function keep(answer: HttpAnswer): HttpAnswer {
  if (answer.status >= 400 && answer.headers['content-type'] === 'application/json' && answer.text.startsWith('{"error":{"message"')) proxyErrorBodies.push(answer.text);
  return answer;
}

beforeAll(async () => {
  vllm = await startVllmServer({ apiKey: CANARY.vllm });
  openai = await startFakeUpstream(openAiLike({ apiKey: CANARY.openai, intervalMs: 5 }));
  anthropic = await startFakeUpstream(anthropicLike({ apiKey: CANARY.anthropic, intervalMs: 5 }));
  // echoes the request; a GET (the probes) is refused with the echo, as a careless gateway's error would hold it
  const echoBack = echo();
  echoing = await startFakeUpstream((req, res) => (req.method === 'GET' ? sendJson(res, 401, { error: { message: `${req.url} ${JSON.stringify(req.headers)}` } }) : echoBack(req, res)));
  const echoBase = echoing.url.replace('://', `://svc:${CANARY.userinfo}@`);
  const dead = await deadPort();
  proxy = await startProxyCli({
    config: `model_list:
  - model_name: ${ALIAS}
    litellm_params:
      model: hosted_vllm/${DEFAULT_SERVED_MODEL}
      api_base: ${vllm.url}/v1
      api_key: os.environ/VLLM_KEY_FOR_ALIAS
  - model_name: dead-alias
    litellm_params:
      model: hosted_vllm/${DEFAULT_SERVED_MODEL}
      api_base: http://127.0.0.1:${dead}/v1
      api_key: os.environ/DEAD_ALIAS_KEY
  - model_name: echo-alias
    litellm_params:
      model: hosted_vllm/${DEFAULT_SERVED_MODEL}
      api_base: "${echoBase}/gw?code=${CANARY.code}"
      extra_headers: { x-team-token: os.environ/TEAM_TOKEN }
router_settings:
  num_retries: 0
general_settings:
  master_key: os.environ/MY_MASTER
  pass_through_endpoints:
    - path: /fn
      target: "${echoBase}/fn?code=${CANARY.code}"
      headers: { x-fn-key: "${CANARY.route}" }
`,
    env: {
      MY_MASTER: CANARY.master,
      VLLM_KEY_FOR_ALIAS: CANARY.vllm,
      DEAD_ALIAS_KEY: CANARY.deadAlias,
      TEAM_TOKEN: CANARY.header,
      OPENAI_API_BASE: `${openai.url}/v1`,
      OPENAI_API_KEY: CANARY.openai,
      ANTHROPIC_API_BASE: anthropic.url,
      ANTHROPIC_API_KEY: CANARY.anthropic,
    },
    args: ['--timeout', '2'],
  });

  const url = proxy.url;
  // successes, through every way of presenting the master key
  expect(keep(await postJson(`${url}/vllm/classify`, { model: ALIAS, input: 'Hello, world!' }, CANARY.master)).status).toBe(200);
  for (const header of ['x-api-key', 'api-key', 'x-goog-api-key', 'x-llmpass-api-key', 'x-litellm-api-key']) {
    expect(keep(await postJson(`${url}/vllm/classify`, { model: ALIAS, input: 'Bonjour' }, undefined, { [header]: CANARY.master })).status).toBe(200);
  }
  expect(keep(await http(`${url}/openai/v1/models?key=${CANARY.master}`)).status).toBe(200);
  const openaiClient = new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: CANARY.master, maxRetries: 0 });
  await openaiClient.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  const chunks = await openaiClient.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream' }], stream: true });
  for await (const chunk of chunks) void chunk;
  const anthropicClient = new Anthropic({ baseURL: `${url}/anthropic`, apiKey: CANARY.master, maxRetries: 0 });
  await anthropicClient.messages.create({ model: 'claude-test-model', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

  // errors: no key, wrong keys (other canaries presented as the master key), no route, bad JSON, dead upstream
  expect(keep(await http(`${url}/openai/v1/models`)).status).toBe(401);
  expect(keep(await http(`${url}/openai/v1/models`, { headers: { authorization: `Bearer ${CANARY.openai}` } })).status).toBe(401);
  expect(keep(await http(`${url}/anthropic/v1/messages`, { method: 'POST', headers: { 'x-api-key': CANARY.anthropic, 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
  expect(keep(await http(`${url}/vllm/classify?key=${CANARY.vllm}`, { method: 'POST' })).status).toBe(401);
  expect(keep(await http(`${url}/nowhere/at/all?key=${CANARY.master}`)).status).toBe(404);
  expect(keep(await http(`${url}/nowhere?key=${CANARY.master}`, { headers: { authorization: `Bearer ${CANARY.master}` } })).status).toBe(404);
  expect(keep(await postJson(`${url}/vllm/classify`, '{"model": ', CANARY.master)).status).toBe(400);
  expect(keep(await postJson(`${url}/vllm/classify`, { model: 'dead-alias', input: 'x' }, CANARY.master)).status).toBe(502);
  expect(keep(await http(`${url}/vllm/classify?key=${CANARY.master}&x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dead-alias' }) })).status).toBe(502);
  // a route with no upstream (no alias in the body, no VLLM_API_BASE), and an upstream's own 404 relayed
  expect(keep(await postJson(`${url}/vllm/v1/chat/completions`, { model: DEFAULT_SERVED_MODEL, messages: [] }, CANARY.master)).status).toBeGreaterThanOrEqual(400);
  expect(keep(await http(`${url}/openai/v1/nope`, { headers: { 'x-llmpass-api-key': CANARY.master } })).status).toBe(404);

  // the other credential locations: relayed answers (the echo is the upstream's own), then the probes' reasons
  expect((await postJson(`${url}/vllm/classify`, { model: 'echo-alias', input: 'x' }, CANARY.master)).status).toBe(200);
  expect((await http(`${url}/fn`, { method: 'POST', headers: { authorization: `Bearer ${CANARY.master}` }, body: 'x' })).status).toBe(200);
  const probed = keep(await http(`${url}/health/readiness?probe=1`, { headers: { authorization: `Bearer ${CANARY.master}` } }));
  readiness = probed.text;

  metricsText = (await http(`${url}/metrics`, { headers: { authorization: `Bearer ${CANARY.master}` } })).text;
  await proxy.waitForRequests(20);
  exitCode = (await proxy.stop('SIGTERM')).code;
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([vllm, openai, anthropic, echoing].map((server) => server?.close()));
  cleanupTemp();
});

describe('secret canaries', () => {
  it('the run went as planned and the proxy exited 0', () => {
    expect(exitCode).toBe(0);
    expect(proxy.requests().length).toBeGreaterThanOrEqual(20);
    expect(proxyErrorBodies.length).toBeGreaterThanOrEqual(8);
    expect(metricsText).toContain('llmpass_requests_total');
  });

  it('no canary in the proxy\'s stdout (banner, access log) or stderr', () => {
    expectNoSecret(proxy.stdout, ALL, 'stdout');
    expectNoSecret(proxy.stderr, ALL, 'stderr');
  });

  it('no canary in the error bodies the proxy made', () => {
    for (const body of proxyErrorBodies) expectNoSecret(body, ALL, 'an error body');
  });

  it('no canary in /metrics', () => {
    expectNoSecret(metricsText, ALL, '/metrics');
  });

  it('no canary in the readiness probe\'s reasons, though the upstream echoed every credential it got', () => {
    expect(readiness).toContain('echo-alias');
    expect(readiness).toContain('401');
    expectNoSecret(readiness, ALL, 'readiness');
  });

  it('the alias and the route sent their credentials: Basic auth, the base query first, their headers', () => {
    const basic = `Basic ${Buffer.from(`svc:${CANARY.userinfo}`).toString('base64')}`;
    const alias = echoing.requests.find((r) => r.method === 'POST' && r.path === '/gw/classify');
    expect(alias?.url).toBe(`/gw/classify?code=${CANARY.code}`);
    expect([alias?.headers.authorization, alias?.headers['x-team-token']]).toEqual([basic, CANARY.header]);
    const route = echoing.requests.find((r) => r.method === 'POST' && r.path === '/fn');
    expect(route?.url).toBe(`/fn?code=${CANARY.code}`);
    expect([route?.headers.authorization, route?.headers['x-fn-key']]).toEqual([basic, CANARY.route]);
  });

  it('each upstream received only its own provider\'s key, and never the master key', () => {
    const expectations: Array<[string, FakeServer, string]> = [
      ['vllm', vllm, CANARY.vllm],
      ['openai', openai, CANARY.openai],
      ['anthropic', anthropic, CANARY.anthropic],
    ];
    for (const [name, server, own] of expectations) {
      expect(server.requests.length, name).toBeGreaterThan(0);
      for (const seen of server.requests) {
        const text = `${seen.method} ${seen.url}\n${headerText(seen.rawHeaders)}\n${seen.body.toString('utf8')}`;
        for (const canary of ALL.filter((c) => c !== own)) expect(text.includes(canary), `${canary} reached the ${name} fake: ${text}`).toBe(false);
      }
    }
    // the key each provider needs was there on every request that reached it through an alias or its variables
    expect(vllm.requests.filter((r) => r.path === '/classify').every((r) => r.headers.authorization === `Bearer ${CANARY.vllm}`)).toBe(true);
    expect(openai.requests.every((r) => r.headers.authorization === `Bearer ${CANARY.openai}`)).toBe(true);
    expect(anthropic.requests.every((r) => r.headers['x-api-key'] === CANARY.anthropic)).toBe(true);
  });
});
