import type { Config } from '../config/load.ts';
import { resolveEnvValue, resolveSecret } from '../config/env.ts';
import type { PassThroughEndpoint } from '../config/schema.ts';
import type { ProviderSpec } from '../providers/types.ts';
import { splitApiBase } from '../router/api-base.ts';
import type { Secret } from '../secret.ts';
import type { Deployment } from '../core/deployment.ts';

/**
 * LiteLLM's `general_settings.pass_through_endpoints`: a route to a fixed target with configured headers (values
 * may be `os.environ/VAR`), served as a one-off provider so it goes through the same request building and sending.
 */
export function configuredRouteDeployment(route: PassThroughEndpoint, config: Config): Deployment {
  const provider: ProviderSpec = {
    id: 'pass_through',
    label: `pass-through ${route.path}`,
    routePrefix: route.path,
    apiBaseEnv: [],
    apiKeyEnv: [],
    keyRequired: false,
    auth: { kind: 'none' },
    join: {},
    joinExamples: [],
    model: 'none',
  };
  const headers: Record<string, Secret> = {};
  for (const [name, value] of Object.entries(route.headers ?? {})) {
    headers[name.toLowerCase()] = resolveSecret(value, { key: `general_settings.pass_through_endpoints (${route.path}).headers.${name}`, file: config.filepath }, config.env);
  }
  return {
    id: `pass_through:${route.path}`,
    alias: undefined,
    provider,
    model: '',
    ...splitApiBase(resolveEnvValue(route.target, { key: `general_settings.pass_through_endpoints (${route.path}).target`, file: config.filepath }, config.env).value, `pass-through ${route.path}`),
    apiKey: undefined,
    apiVersion: undefined,
    headers,
    timeoutMs: undefined,
    weight: 1,
    params: {},
  };
}
