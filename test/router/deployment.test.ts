import { afterAll, describe, expect, it, vi } from 'vitest';
import { configFromObject } from '../../src/config/load.ts';
import { configuredRouteDeployment } from '../../src/proxy/configured-route.ts';
import { registerProvider } from '../../src/providers/registry.ts';
import type { ProviderSpec } from '../../src/providers/types.ts';
import { resolveDirect, resolveEntry, resolveProviderDefault } from '../../src/router/deployment.ts';
import { buildUpstreamRequest } from '../../src/transport/request.ts';

// A provider whose URL carries a version, as Azure's does: the variable is its entry's, not a special case.
const versioned: ProviderSpec = registerProvider({
  id: 'versioned-test',
  label: 'Versioned',
  routePrefix: '/versioned-test',
  defaultApiBase: 'http://127.0.0.1:9',
  apiBaseEnv: [],
  apiKeyEnv: [],
  apiVersionEnv: ['VERSIONED_TEST_VERSION'],
  keyRequired: false,
  auth: { kind: 'none' },
  join: {},
  joinExamples: [],
  model: 'body',
  expandEndpoint: (endpoint, { apiVersion }) => `${endpoint}?v=${apiVersion ?? 'none'}`,
});

// The registry is process-wide and this worker runs other files next (isolate: false): they get fresh modules.
afterAll(() => vi.resetModules());

const env = { VERSIONED_TEST_VERSION: '7' };
const url = (deployment: Parameters<typeof buildUpstreamRequest>[0]) => buildUpstreamRequest(deployment, { endpoint: 'chat' }).url.href;

describe('Deployments', () => {
  it("read a provider's api version from its apiVersionEnv on every path, a configured api_version first", () => {
    const config = configFromObject(
      { model_list: [{ model_name: 'a', litellm_params: { model: 'versioned-test/m' } }, { model_name: 'b', litellm_params: { model: 'versioned-test/m', api_version: '9' } }] },
      undefined,
      env,
    );
    expect(url(resolveEntry(config, config.modelList[0]!, 0))).toBe('http://127.0.0.1:9/chat?v=7');
    expect(url(resolveEntry(config, config.modelList[1]!, 1))).toBe('http://127.0.0.1:9/chat?v=9');
    expect(url(resolveDirect('versioned-test/m', {}, (name) => env[name as keyof typeof env]))).toBe('http://127.0.0.1:9/chat?v=7');
    expect(url(resolveProviderDefault(versioned, 'm', (name) => env[name as keyof typeof env]))).toBe('http://127.0.0.1:9/chat?v=7');
    expect(url(resolveDirect('versioned-test/m', {}, () => undefined))).toBe('http://127.0.0.1:9/chat?v=none');
  });

  it('carry their settings whichever way they were built, a configured route included', () => {
    const config = configFromObject({ model_list: [{ model_name: 'a', litellm_params: { model: 'versioned-test/m', region: 'r1' } }] }, undefined, {});
    const built = [
      resolveEntry(config, config.modelList[0]!, 0),
      resolveDirect('versioned-test/m', {}, config.env),
      resolveProviderDefault(versioned, 'm', config.env, { location: 'l1' }),
      configuredRouteDeployment({ path: '/fn', target: 'http://127.0.0.1:9/fn' }, config),
    ];
    expect(built.map((deployment) => deployment.settings.keys())).toEqual([['model', 'region'], [], ['location'], []]);
    expect(built[0]!.settings.text('region')).toBe('r1');
  });
});
