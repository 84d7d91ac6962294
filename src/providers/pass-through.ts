import type { ProviderSpec } from './types.ts';

/**
 * LiteLLM's `general_settings.pass_through_endpoints` route as a one-off provider: a fixed target, no key, no
 * model, the endpoint joined as written, so it goes through the same request building and sending.
 */
export function passThroughProvider(path: string): ProviderSpec {
  return {
    id: 'pass_through',
    label: `pass-through ${path}`,
    routePrefix: path,
    apiBaseEnv: [],
    apiKeyEnv: [],
    keyRequired: false,
    auth: { kind: 'none' },
    join: {},
    joinExamples: [],
    model: 'none',
  };
}
