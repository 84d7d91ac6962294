// A config's declared providers are its own: two configs in one process never see each other's, and the
// process-wide registry (built-ins and registerProvider()) is left as it was.
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/load.ts';
import { findProvider, listProviders } from '../../src/providers/registry.ts';
import { Router } from '../../src/router/router.ts';

const declared = (id: string, api_base: string) => ({ id, api_base, auth: 'bearer' as const });

describe('a config carries its own provider table', () => {
  it('two configs with different declared providers see only their own; the registry is untouched', () => {
    const registeredBefore = listProviders().map((spec) => spec.id);
    const a = configFromObject({ providers: [declared('table-alpha', 'http://127.0.0.1:9/a')], model_list: [{ model_name: 'm', litellm_params: { model: 'table-alpha/x' } }] }, undefined, {});
    const b = configFromObject({ providers: [declared('table-beta', 'http://127.0.0.1:9/b')], model_list: [{ model_name: 'm', litellm_params: { model: 'table-beta/x' } }] }, undefined, {});

    expect(a.providers.find('table-alpha')?.defaultApiBase).toBe('http://127.0.0.1:9/a');
    expect(a.providers.find('table-beta')).toBeUndefined();
    expect(b.providers.find('table-beta')?.defaultApiBase).toBe('http://127.0.0.1:9/b');
    expect(b.providers.find('table-alpha')).toBeUndefined();
    // built-ins are in both
    expect(a.providers.find('openai')).toBe(findProvider('openai'));
    expect(b.providers.list().map((spec) => spec.id)).toEqual([...registeredBefore, 'table-beta']);

    expect(listProviders().map((spec) => spec.id)).toEqual(registeredBefore);
    expect(findProvider('table-alpha')).toBeUndefined();
    expect(findProvider('table-beta')).toBeUndefined();

    // The Router reads its config's table: each resolves its own provider and refuses the other's.
    expect(new Router({ config: a }).resolve('m').deployments[0]!.provider.id).toBe('table-alpha');
    expect(new Router({ config: b }).resolve('m').deployments[0]!.provider.id).toBe('table-beta');
    expect(() => new Router({ config: a }).resolve('table-beta/x')).toThrow(/table-beta/);
    expect(new Router({ config: b }).resolve('table-beta/x').deployments[0]!.provider.id).toBe('table-beta');
  });

  it("a declared provider replaces a built-in with the same id in that config only, aliases and all", () => {
    const config = configFromObject({ providers: [declared('hosted_vllm', 'http://127.0.0.1:9/mine')] }, undefined, {});
    expect(config.providers.find('hosted_vllm')?.defaultApiBase).toBe('http://127.0.0.1:9/mine');
    // the built-in's alias "vllm" went with it
    expect(config.providers.find('vllm')).toBeUndefined();
    expect(config.providers.list().filter((spec) => spec.id === 'hosted_vllm')).toHaveLength(1);
    expect(findProvider('hosted_vllm')?.defaultApiBase).toBeUndefined();
    expect(findProvider('vllm')?.id).toBe('hosted_vllm');
  });
});
