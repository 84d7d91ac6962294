import { UsageError } from '../errors.ts';
import type { ProviderSpec } from '../providers/types.ts';
import type { Route } from './routes.ts';

export type ProviderRoute = Extract<Route, { kind: 'provider' }>;
export type ConfiguredRoute = Extract<Route, { kind: 'configured' }>;

/** What the choice asks of the Router: answered from tables built once (a served alias's resolution is cached). */
export interface AliasLookup {
  /** The configured name serving a model (itself, or the wildcard route it matches); undefined if none does. */
  aliasOf(model: string): string | undefined;
  /** The provider serving an alias (its first deployment's). */
  servedBy(model: string): ProviderSpec;
}

/**
 * Where a forwarded request goes, decided before its body is read: a configured route's target as it is, a model
 * list the proxy answers itself (`GET /groq/openai/v1/models` with aliases for that provider), or, for any other
 * provider route, wherever its model says (`modelTarget`). The matched route is returned as is: nothing is built.
 */
export function routeTarget(
  route: ProviderRoute | ConfiguredRoute,
  method: string,
  modelList: (provider: ProviderSpec, endpoint: string) => unknown,
): ProviderRoute | ConfiguredRoute | { kind: 'model-list'; answer: unknown } {
  if (route.kind === 'configured' || method !== 'GET') return route;
  const answer = modelList(route.provider, route.endpoint);
  return answer === undefined ? route : { kind: 'model-list', answer };
}

/**
 * A provider route's target by its model: `model` as the request names it, `alias` the configured name serving it.
 * `provider-default`: no alias named, the provider's own base (`model` is the body's, '' without one).
 */
export type ModelTarget = AliasTarget | { kind: 'provider-default'; model: string };
export type AliasTarget = { kind: 'body-alias' | 'path-alias'; model: string; alias: string };

/**
 * An alias in the body's `model` wins; else an alias the path names (Gemini's `models/{model}:method`); else the
 * provider's default deployment. An alias served by another provider is the caller's mistake: a UsageError
 * naming the route to use.
 */
export function modelTarget(provider: ProviderSpec, bodyModel: unknown, pathModel: string | undefined, aliases: AliasLookup): ModelTarget {
  const bodyAlias = typeof bodyModel === 'string' ? aliases.aliasOf(bodyModel) : undefined;
  const pathAlias = bodyAlias === undefined && pathModel !== undefined ? aliases.aliasOf(pathModel) : undefined;
  let target: AliasTarget;
  if (bodyAlias !== undefined) target = { kind: 'body-alias', model: bodyModel as string, alias: bodyAlias };
  else if (pathAlias !== undefined) target = { kind: 'path-alias', model: pathModel!, alias: pathAlias };
  else return { kind: 'provider-default', model: typeof bodyModel === 'string' ? bodyModel : '' };
  const served = aliases.servedBy(target.model);
  if (served.id !== provider.id) throw new UsageError(`alias "${target.model}" is served by ${served.id}; call it under ${served.routePrefix}/`);
  return target;
}
