// Credentials wherever a config puts them (extra_headers as a literal, `os.environ/VAR` or `${VAR}`; api_base userinfo
// and query; a pass-through route's headers and target query) are sent to the upstream and shown to no one: the
// request print shows `$VAR` or `***`, a listing and messages mask them, and a probe's reason masks every one of them
// before it is cut to length.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlCommand, describeRequest } from '../../src/cli/call/describe-request.ts';
import { probeDeployment } from '../../src/check/probe.ts';
import { configFromObject, type Config } from '../../src/config/load.ts';
import { configuredRouteDeployment } from '../../src/proxy/configured-route.ts';
import { describeModels, resolveEntries } from '../../src/router/inventory.ts';
import { buildUpstreamRequest } from '../../src/transport/request.ts';
import { sendUpstream } from '../../src/transport/send.ts';
import { startFakeUpstream, type FakeHandler, type FakeServer } from '../fixtures/fake-upstream.ts';
import { sendJson } from '../fixtures/respond.ts';
import type { Deployment } from '../../src/core/deployment.ts';
import { expectNoSecret } from '../support/secrets.ts';

const TOKEN = { literal: 'lit-7c2e94d1a0b8f365', env: 'env-0d9a5e27c41b3f86', braced: 'brc-5b18f0c3e7a2d964', user: 'svc-user', pass: 'pw-e41f7a0c9d3b2856', code: 'fnkey-A8d3F0c2E9b7', key: 'key-93b0e7d4c1a5f268' };
const ENV: Record<string, string> = { HDR_ENV: TOKEN.env, HDR_BRACED: TOKEN.braced, LLM_KEY: TOKEN.key };

let upstream: FakeServer;
let config: Config;

/** Echoes what it was sent in a 401, as a misconfigured upstream might; `classify` answers 200. */
const echoing: FakeHandler = (req, res) => sendJson(res, req.path.endsWith('/classify') ? 200 : 401, { error: { message: `${req.url} ${JSON.stringify(req.headers)}` } });

beforeAll(async () => {
  upstream = await startFakeUpstream(echoing);
  const base = `http://${TOKEN.user}:${TOKEN.pass}@127.0.0.1:${upstream.port}/gw?code=${TOKEN.code}&tenant=t1`;
  config = configFromObject(
    {
      model_list: [
        {
          model_name: 'headers',
          litellm_params: {
            model: 'hosted_vllm/m',
            api_base: upstream.url,
            extra_headers: { 'x-literal': TOKEN.literal, 'x-env': 'os.environ/HDR_ENV', 'x-braced': 'Token ${HDR_BRACED}' },
          },
        },
        { model_name: 'base', litellm_params: { model: 'hosted_vllm/m', api_base: base } },
        { model_name: 'base-keyed', litellm_params: { model: 'hosted_vllm/m', api_base: base, api_key: 'os.environ/LLM_KEY' } },
      ],
    },
    undefined,
    ENV,
  );
});

afterAll(async () => {
  await upstream?.close();
});

function deployment(alias: string): Deployment {
  const found = resolveEntries(config).find((entry) => entry.entry.model_name === alias);
  if (!found?.ok) throw new Error(`${alias} did not resolve`);
  return found.deployment;
}

function expectNone(text: string, where: string): void {
  const basic = Buffer.from(`${TOKEN.user}:${TOKEN.pass}`).toString('base64');
  expectNoSecret(text, [...Object.values(TOKEN).filter((v) => v !== TOKEN.user), basic], where);
}

describe('extra_headers from the config', () => {
  it('show as *** (a literal) or $VAR (a reference, inside a longer value too) in --dry-run, --verbose and --curl', () => {
    const request = buildUpstreamRequest(deployment('headers'), { endpoint: 'classify', json: {} });
    const described = describeRequest(request);
    const curl = curlCommand(request);
    expect(described).toContain('x-literal: ***');
    expect(described).toContain('x-env: $HDR_ENV');
    expect(described).toContain('x-braced: Token $HDR_BRACED');
    // Quoted literally but for the reference, which the shell expands when the command is pasted.
    expect(curl).toContain(`-H 'x-env: '"$HDR_ENV"`);
    expect(curl).toContain(`-H 'x-braced: Token '"$HDR_BRACED"`);
    expectNone(`${described}\n${curl}`, 'the printed request');
  });

  it('reach the upstream as configured', async () => {
    const request = buildUpstreamRequest(deployment('headers'), { endpoint: 'classify', json: {} });
    const reply = await sendUpstream(request);
    reply.body.resume();
    const seen = upstream.requests.at(-1)!;
    expect([seen.headers['x-literal'], seen.headers['x-env'], seen.headers['x-braced']]).toEqual([TOKEN.literal, TOKEN.env, `Token ${TOKEN.braced}`]);
  });
});

describe('api_base userinfo and query', () => {
  it('go upstream: userinfo as Basic auth, the base query before the endpoint\'s', async () => {
    const request = buildUpstreamRequest(deployment('base'), { endpoint: 'classify?q=1', query: { more: '2' }, json: {} });
    const reply = await sendUpstream(request);
    reply.body.resume();
    const seen = upstream.requests.at(-1)!;
    expect(seen.path).toBe('/gw/classify');
    expect(seen.url).toBe(`/gw/classify?code=${TOKEN.code}&tenant=t1&q=1&more=2`);
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from(`${TOKEN.user}:${TOKEN.pass}`).toString('base64')}`);
  });

  it('an api key, a configured or a caller\'s Authorization replaces the Basic auth, as in curl', () => {
    const keyed = buildUpstreamRequest(deployment('base-keyed'), { endpoint: 'classify', json: {} });
    expect(describeRequest(keyed)).toContain('authorization: Bearer $LLM_KEY');
    const caller = buildUpstreamRequest(deployment('base'), { endpoint: 'classify', headers: { authorization: 'Bearer mine' }, json: {} });
    expect(describeRequest(caller)).not.toContain('Basic');
  });

  it('are masked in --dry-run, --curl, errors and `models`', async () => {
    const request = buildUpstreamRequest(deployment('base'), { endpoint: 'classify?q=1', json: {} });
    const described = describeRequest(request);
    expect(described.split('\n')[0]).toBe(`POST http://127.0.0.1:${upstream.port}/gw/classify?code=***&tenant=***&q=1`);
    expect(described).toContain('authorization: Basic ***');
    const listing = JSON.stringify(describeModels(config));
    expect(listing).toContain(`http://***@127.0.0.1:${upstream.port}/gw?code=***&tenant=***`);
    const dead = buildUpstreamRequest({ ...deployment('base'), apiBase: 'http://127.0.0.1:1/gw' }, { endpoint: 'classify', json: {} });
    const failure = await sendUpstream(dead).then(
      () => '',
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/connection refused/);
    expectNone(`${described}\n${curlCommand(request)}\n${listing}\n${failure}`, 'a display');
  });

  it('an api_base that is not a URL is named, never quoted (it may be the credential pasted in the wrong place)', () => {
    const broken = configFromObject({ model_list: [{ model_name: 'b', litellm_params: { model: 'hosted_vllm/m', api_base: 'os.environ/BASE' } }] }, undefined, { BASE: `${TOKEN.key}` });
    const [entry] = resolveEntries(broken);
    expect(entry!.ok).toBe(false);
    expect(JSON.stringify(describeModels(broken))).not.toContain(TOKEN.key);
  });
});

describe('pass_through_endpoints', () => {
  it('a target\'s query and userinfo and the route\'s headers go upstream, and show masked', async () => {
    const route = configuredRouteDeployment(
      { path: '/fn', target: `http://${TOKEN.user}:${TOKEN.pass}@127.0.0.1:${upstream.port}/api/fn?code=${TOKEN.code}`, headers: { 'x-route': 'os.environ/HDR_ENV', 'x-fixed': TOKEN.literal } },
      config,
    );
    const request = buildUpstreamRequest(route, { endpoint: 'classify?x=1', method: 'POST', body: 'hi' });
    expectNone(`${describeRequest(request)}\n${curlCommand(request)}`, 'the printed request');
    const reply = await sendUpstream(request);
    reply.body.resume();
    const seen = upstream.requests.at(-1)!;
    expect(seen.url).toBe(`/api/fn/classify?code=${TOKEN.code}&x=1`);
    expect([seen.headers['x-route'], seen.headers['x-fixed'], seen.headers.authorization]).toEqual([TOKEN.env, TOKEN.literal, `Basic ${Buffer.from(`${TOKEN.user}:${TOKEN.pass}`).toString('base64')}`]);
  });
});

describe('probe reasons', () => {
  it('mask every configured secret an upstream echoes back (headers, userinfo, query), not only api_key', async () => {
    for (const alias of ['headers', 'base', 'base-keyed']) {
      const result = await probeDeployment(deployment(alias), { timeout: 5 });
      expect(result.status, alias).toBe('fail');
      expect(result.reason, alias).toMatch(/401/);
      expectNone(result.reason, `${alias}'s probe reason`);
    }
  });

  it('mask the credential inside a longer header value when the upstream echoes it alone ("invalid token X")', async () => {
    const lone = 'lit-6f0d2b9e4a1c8573';
    const server = await startFakeUpstream((req, res) => {
      const words = Object.values(req.headers).flatMap((value) => String(value).split(' ').slice(1));
      sendJson(res, 401, { error: { message: `invalid token ${words.join(' and ')}` } });
    });
    try {
      const composed = configFromObject(
        { model_list: [{ model_name: 'c', litellm_params: { model: 'hosted_vllm/m', api_base: server.url, extra_headers: { 'x-braced': 'Token ${HDR_BRACED}', 'x-literal': `Bearer ${lone}` } } }] },
        undefined,
        ENV,
      );
      const [entry] = resolveEntries(composed);
      if (!entry?.ok) throw new Error('did not resolve');
      const result = await probeDeployment(entry.deployment, { timeout: 5 });
      expect(result.reason).toMatch(/401.*invalid token/);
      expect(result.reason).not.toContain(TOKEN.braced);
      expect(result.reason).not.toContain(lone);
    } finally {
      await server.close();
    }
  });

  it('mask before cutting to length: a key straddling the cut leaves no piece of itself', async () => {
    const server = await startFakeUpstream((_req, res) => sendJson(res, 401, { e: `${'.'.repeat(176)}${TOKEN.key}` }));
    try {
      const straddling = configFromObject({ model_list: [{ model_name: 'k', litellm_params: { model: 'hosted_vllm/m', api_base: server.url, api_key: TOKEN.key } }] }, undefined, {});
      const [entry] = resolveEntries(straddling);
      if (!entry?.ok) throw new Error('did not resolve');
      const result = await probeDeployment(entry.deployment, { timeout: 5 });
      expect(result.reason).toMatch(/401/);
      // the snippet is cut at 200 characters, 18 of the key's 20 in: no 6 of them in a row may show
      for (let i = 0; i + 6 <= TOKEN.key.length; i++) expect(result.reason).not.toContain(TOKEN.key.slice(i, i + 6));
    } finally {
      await server.close();
    }
  });
});
