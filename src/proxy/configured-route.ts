import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/load.ts';
import { resolveEnvValue, resolveSecret } from '../config/env.ts';
import { environmentSettings } from '../config/provider-settings.ts';
import type { PassThroughEndpoint } from '../config/schema.ts';
import { passThroughProvider } from '../providers/pass-through.ts';
import { splitApiBase } from '../router/api-base.ts';
import { createDeployment } from '../router/deployment.ts';
import type { Deployment } from '../core/deployment.ts';
import type { RouterPassthroughOptions } from '../router/router.ts';
import type { Secret } from '../secret.ts';
import type { ConfiguredRoute } from './target.ts';

/**
 * LiteLLM's `general_settings.pass_through_endpoints`: a route to a fixed target with configured headers (values
 * may be `os.environ/VAR`), served as a one-off provider so it goes through the same request building and sending.
 */
export function configuredRouteDeployment(route: PassThroughEndpoint, config: Config): Deployment {
  const who = `pass-through ${route.path}`;
  const headers: Record<string, Secret> = {};
  for (const [name, value] of Object.entries(route.headers ?? {})) {
    headers[name.toLowerCase()] = resolveSecret(value, { key: `general_settings.pass_through_endpoints (${route.path}).headers.${name}`, file: config.filepath }, config.env);
  }
  const target = resolveEnvValue(route.target, { key: `general_settings.pass_through_endpoints (${route.path}).target`, file: config.filepath }, config.env).value;
  const provider = passThroughProvider(route.path);
  return createDeployment({
    id: `${provider.id}:${route.path}`,
    provider,
    model: '',
    ...splitApiBase(target, who),
    settings: environmentSettings(config.env, who),
    headers,
  });
}

/**
 * A configured route's request: the subpath and the query (its key taken out) after the target, the client's body
 * streamed. As LiteLLM: without forward_headers only the configured headers (and the body's type) go upstream.
 */
export function configuredRouteRequest(
  matched: ConfiguredRoute,
  base: Omit<RouterPassthroughOptions, 'model'>,
  headers: Array<[string, string]>,
  req: IncomingMessage,
  query: string,
  hasBody: boolean,
): Omit<RouterPassthroughOptions, 'model'> {
  const length = Number(req.headers['content-length']);
  return {
    ...base,
    headers: matched.route.forward_headers ? headers : headers.filter(([name]) => name === 'content-type' || name === 'accept'),
    endpoint: matched.subpath.replace(/^\/+/, '') + query,
    body: hasBody ? req : undefined,
    bodyLength: hasBody && Number.isFinite(length) ? length : undefined,
  };
}
