import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { findProvider } from '../../src/providers/registry.ts';
import type { ProviderSpec } from '../../src/providers/types.ts';
import { modelTarget, routeTarget, type AliasLookup, type ConfiguredRoute, type ProviderRoute } from '../../src/proxy/target.ts';

const vllm = findProvider('hosted_vllm')!;
const gemini = findProvider('gemini')!;
const openai = findProvider('openai')!;

// The config's aliases as the Router answers them: `lang` and the wildcard `team/*` on vLLM, `flash` on Gemini.
const served: Record<string, ProviderSpec> = { lang: vllm, flash: gemini };
const aliases: AliasLookup = {
  aliasOf: (model) => (model in served ? model : model.startsWith('team/') ? 'team/*' : undefined),
  servedBy: (model) => served[model] ?? vllm,
};

describe('modelTarget: the choice of target by model, pure', () => {
  it.each<[string, ProviderSpec, unknown, string | undefined, ReturnType<typeof modelTarget>]>([
    ['an alias in the body', vllm, 'lang', undefined, { kind: 'body-alias', model: 'lang', alias: 'lang' }],
    ['a wildcard alias in the body, recorded as its route', vllm, 'team/small', undefined, { kind: 'body-alias', model: 'team/small', alias: 'team/*' }],
    ['the body alias over the path alias', gemini, 'flash', 'other', { kind: 'body-alias', model: 'flash', alias: 'flash' }],
    ['an alias in the path', gemini, undefined, 'flash', { kind: 'path-alias', model: 'flash', alias: 'flash' }],
    ['an alias in the path when the body names a model that is no alias', gemini, 'gemini-2.0-flash', 'flash', { kind: 'path-alias', model: 'flash', alias: 'flash' }],
    ['no alias: the provider default with the body model', openai, 'gpt-4o', undefined, { kind: 'provider-default', model: 'gpt-4o' }],
    ['no alias in the path either', gemini, undefined, 'gemini-2.0-flash', { kind: 'provider-default', model: '' }],
    ['no body model', vllm, undefined, undefined, { kind: 'provider-default', model: '' }],
    ['a body model that is not a string', vllm, 42, undefined, { kind: 'provider-default', model: '' }],
  ])('%s', (_case, provider, bodyModel, pathModel, expected) => {
    expect(modelTarget(provider, bodyModel, pathModel, aliases)).toEqual(expected);
  });

  it.each<[string, ProviderSpec, unknown, string | undefined, string]>([
    ['a body alias under another provider', openai, 'lang', undefined, 'alias "lang" is served by hosted_vllm; call it under /vllm/'],
    ['a path alias under another provider', vllm, undefined, 'flash', 'alias "flash" is served by gemini; call it under /gemini/'],
  ])('%s is a usage error naming the right route', (_case, provider, bodyModel, pathModel, message) => {
    const choose = () => modelTarget(provider, bodyModel, pathModel, aliases);
    expect(choose).toThrow(UsageError);
    expect(choose).toThrow(message);
  });
});

describe('routeTarget: the choice before the body is read, pure', () => {
  const configured: ConfiguredRoute = { kind: 'configured', route: { path: '/custom', target: 'http://upstream.invalid' }, subpath: '/x' };
  const list: ProviderRoute = { kind: 'provider', provider: vllm, endpoint: 'v1/models' };
  const call: ProviderRoute = { kind: 'provider', provider: vllm, endpoint: 'classify' };
  const modelList = (provider: ProviderSpec, endpoint: string) => (provider === vllm && endpoint === 'v1/models' ? { data: ['lang'] } : undefined);

  it.each<[string, ProviderRoute | ConfiguredRoute, string, unknown]>([
    ['a configured route goes to its target, whatever the method', configured, 'GET', configured],
    ['a model list is answered by the proxy', list, 'GET', { kind: 'model-list', answer: { data: ['lang'] } }],
    ['a model list path under another method goes by its model', list, 'POST', list],
    ['a provider route that is no list goes by its model', call, 'GET', call],
  ])('%s', (_case, route, method, expected) => {
    expect(routeTarget(route, method, modelList)).toEqual(expected);
  });

  it('hands the matched route back as is: nothing is built for a request going upstream', () => {
    expect(routeTarget(call, 'POST', modelList)).toBe(call);
    expect(routeTarget(configured, 'POST', modelList)).toBe(configured);
  });
});
