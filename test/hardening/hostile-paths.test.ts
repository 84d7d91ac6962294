// Hostile paths: whatever endpoint string a caller writes (`..`, `%2e%2e`, `%2F`, `//`, backslashes, absolute URLs,
// control characters, malformed escapes), the request goes to the deployment's origin and below its base path, or
// is refused with a usage error. Shown for joinEndpoint with every built-in provider's join rule and path hooks
// (fast-check), and for the proxy's routes over real sockets, where a second "evil" server must never be reached.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { listProviders } from '../../src/providers/registry.ts';
import { joinEndpoint } from '../../src/transport/url.ts';
import { echo, startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { rawExchange, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

/** Where a server that decodes %2F, %5C and %2E and resolves dot segments (as some do) would take the path. */
function asAServerMightSeeIt(pathname: string): string {
  let decoded = pathname;
  for (let i = 0; i < 3; i++) decoded = decoded.replace(/%(2e|2f|5c|25)/gi, (escape) => decodeURIComponent(escape));
  const parts: string[] = [];
  for (const part of decoded.replace(/\\/g, '/').split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return `/${parts.join('/')}`;
}

function isBelow(pathname: string, basePath: string): boolean {
  const base = basePath.replace(/\/+$/, '');
  const seen = asAServerMightSeeIt(pathname);
  return pathname.startsWith(`${base}/`) && (seen === base || seen.startsWith(`${base}/`));
}

/** Pieces that make trouble in paths, for the generator to combine with ordinary text. */
function hostilePieces(evilHost: string): string[] {
  return [
    '..', '.', '/', '//', '\\', '%2e', '%2E', '%2e%2e', '.%2e', '%2f', '%2F', '%5c', '%5C', '%252e', '%252f', '%25', '%',
    '%zz', '%0a', '%0d', '%00', '\t', ' ', '?', '#', '@', ':', ';', '&', '=', 'http:', 'https://', 'HTTP://', 'file:',
    'javascript:', '//evil.example/', `http://${evilHost}/`, `//${evilHost}/`, '169.254.169.254', 'latest/meta-data',
    'v1', 'v1/', 'models/', ':generateContent', 'openai/', 'deployments/', 'a', 'b%20c', 'é', '\u2025', '\uff0e\uff0e', '\u0000', '\r\n',
  ];
}

function endpointArbitrary(evilHost: string): fc.Arbitrary<string> {
  const piece = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...hostilePieces(evilHost)) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
  return fc.array(piece, { minLength: 1, maxLength: 10 }).map((pieces) => pieces.join(''));
}

const BASES = ['https://gw.example/team-a', 'https://gw.example/team-a/v1', 'http://10.0.0.5:8000/'];

describe('joinEndpoint, for any endpoint string', () => {
  const providers = listProviders();

  it('stays on the base origin and below the base path, or refuses with a UsageError', () => {
    fc.assert(
      fc.property(endpointArbitrary('127.0.0.1:9'), fc.constantFrom(...providers), fc.constantFrom(...BASES), (endpoint, provider, base) => {
        const baseUrl = new URL(base);
        // The base path the provider keeps: vLLM's trailing /v1 is not part of its root.
        let basePath = baseUrl.pathname.replace(/\/+$/, '');
        if (provider.join.stripBaseSuffix && basePath.endsWith(provider.join.stripBaseSuffix)) basePath = basePath.slice(0, -provider.join.stripBaseSuffix.length);
        let expanded = endpoint;
        let url: URL;
        try {
          // The provider's path hooks run on the caller's endpoint first, as buildUpstreamRequest runs them.
          if (provider.modelFromPath) provider.modelFromPath(endpoint);
          if (provider.replacePathModel) expanded = provider.replacePathModel(expanded, 'served/model');
          if (provider.expandEndpoint) expanded = provider.expandEndpoint(expanded, { model: 'served/model', apiVersion: undefined });
          url = joinEndpoint(base, expanded, provider.join);
        } catch (error) {
          expect(error, `${provider.id}: ${JSON.stringify(endpoint)} threw ${String(error)}`).toBeInstanceOf(UsageError);
          expect((error as Error).message).not.toMatch(/[\r\n]/);
          return;
        }
        expect(url.origin, JSON.stringify(endpoint)).toBe(baseUrl.origin);
        expect(url.username + url.password).toBe('');
        expect(isBelow(url.pathname, basePath) || url.pathname === (basePath || '/'), `${provider.id} ${base} + ${JSON.stringify(endpoint)} → ${url.pathname}`).toBe(true);
      }),
      { numRuns: Number(process.env.HOSTILE_RUNS ?? 3_000) },
    );
  });
});

describe('the proxy\'s routes, for any path after a route prefix', () => {
  let upstream: FakeServer;
  let evil: FakeServer;
  let proxy: ProxyCli;

  beforeAll(async () => {
    upstream = await startFakeUpstream(echo());
    evil = await startFakeUpstream(echo());
    proxy = await startProxyCli({
      config: `router_settings:
  num_retries: 0
model_list:
  - model_name: gem
    litellm_params: { model: gemini/gemini-pro, api_base: "${upstream.url}/gem" }
general_settings:
  pass_through_endpoints:
    - path: /tools
      target: ${upstream.url}/pt/root
      include_subpath: true
`,
      env: {
        VLLM_API_BASE: `${upstream.url}/vllm-base/v1`,
        OPENAI_API_BASE: `${upstream.url}/openai-base/v1`,
        GEMINI_API_BASE: `${upstream.url}/gemini-base`,
        GEMINI_API_KEY: 'gemini-key',
        AZURE_API_BASE: `${upstream.url}/azure-base`,
        AZURE_API_KEY: 'azure-key',
      },
    });
  });

  afterAll(async () => {
    await stopAllProxies();
    await Promise.all([upstream, evil].map((server) => server?.close()));
    cleanupTemp();
  });

  const ALLOWED = ['/vllm-base', '/openai-base', '/gemini-base', '/gem', '/azure-base', '/pt/root'];

  it('never reaches another origin, nor a path above the route\'s base; every answer is a response (no 500, no hang)', async () => {
    const evilHost = new URL(evil.url).host;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/vllm/', '/openai/', '/gemini/', '/gemini/v1beta/models/', '/azure/', '/tools/', '/tools'), endpointArbitrary(evilHost), async (prefix, endpoint) => {
        // As a hostile client sends it: raw bytes on the request line (Node's client would refuse most of them).
        const target = `${prefix}${endpoint}`;
        const answer = await rawExchange(proxy.url, [`GET ${target} HTTP/1.1`, `Host: ${new URL(proxy.url).host}`, 'Connection: close'], [], 3_000);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status, `${JSON.stringify(target)}: ${answer.slice(0, 300)}`).toBeGreaterThan(0);
        expect(status, `${JSON.stringify(target)}: ${answer.slice(0, 300)}`).not.toBe(500);
      }),
      { numRuns: Number(process.env.HOSTILE_RUNS ?? 1_000) },
    );
    expect(evil.requests).toEqual([]);
    for (const request of upstream.requests) {
      const allowed = ALLOWED.some((base) => isBelow(request.path, base) || request.path === base);
      expect(allowed, `the upstream was asked for ${request.url}`).toBe(true);
    }
    // The run did exercise both outcomes: forwarded requests and refusals.
    expect(upstream.requests.length).toBeGreaterThan(20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(20);
  });

  it('the classic ones, one by one', async () => {
    const before = upstream.requests.length;
    const tries = [
      '/vllm/http://169.254.169.254/latest/meta-data', '/vllm/..%2f..%2fadmin', '/vllm/%2e%2e/admin',
      '/vllm/a/../../admin', '/vllm/a\\..\\..\\admin', '/openai/v1/../../../etc/passwd',
      '/gemini/v1beta/models/%zz:generateContent', '/gemini/v1beta/models/..%2f..%2fx:generateContent', `//${new URL(evil.url).host}/`,
      `http://${new URL(evil.url).host}/vllm/x`, '/tools/../../x', '/tools/%2e%2e/x',
    ];
    for (const target of tries) {
      const answer = await rawExchange(proxy.url, [`GET ${target} HTTP/1.1`, `Host: ${new URL(proxy.url).host}`, 'Connection: close'], [], 3_000);
      expect(answer, target).toMatch(/^HTTP\/1\.1 (400|404) /);
    }
    expect(upstream.requests.length).toBe(before);
    // `//evil.example/x` after the prefix is only a path on the deployment's own server.
    const answer = await rawExchange(proxy.url, ['GET /vllm//evil.example/x HTTP/1.1', 'Host: x', 'Connection: close'], [], 3_000);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(upstream.requests.slice(before).map((request) => request.path)).toEqual(['/vllm-base/evil.example/x']);
    expect(evil.requests).toEqual([]);
  });
});
