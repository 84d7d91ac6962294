import type { PassThroughEndpoint } from '../config/schema.ts';
import type { ProviderSpec } from '../providers/types.ts';
import type { AllAliasesShape } from './alias-lists.ts';
import { KEY_API, type KeyAction } from '../keys/api.ts';

export type Route =
  | { kind: 'provider'; provider: ProviderSpec; endpoint: string }
  | { kind: 'configured'; route: PassThroughEndpoint; subpath: string }
  | { kind: 'liveliness' }
  | { kind: 'readiness' }
  | { kind: 'aliases'; shape: AllAliasesShape }
  | { kind: 'metrics' }
  | { kind: 'keys'; action: KeyAction };

/**
 * Who may reach each kind of route; the key gate (src/keys/) runs for every kind but `public`. A new kind must be
 * added here (the type says so) and test/keys/every-route.test.ts proves each keyed kind enforces the keys' rules.
 */
export const ROUTE_ACCESS: Readonly<Record<Route['kind'], 'public' | 'keyed' | 'master'>> = {
  liveliness: 'public',
  // Open to load balancers; what it tells and whether it probes depends on the master key (server.ts).
  readiness: 'public',
  metrics: 'public',
  aliases: 'keyed',
  provider: 'keyed',
  configured: 'keyed',
  keys: 'master',
};

/** LiteLLM's lists of what callers may use (after a config's own routes, which win). */
export const ALIAS_LISTS: ReadonlyMap<string, AllAliasesShape> = new Map([
  ['/v1/models', 'openai'],
  ['/models', 'openai'],
  ['/model/info', 'litellm'],
  ['/v1/model/info', 'litellm'],
]);

/**
 * The route table, built once: LiteLLM's health paths, /metrics, the config's pass_through_endpoints (they win:
 * a user's own route), LiteLLM's model lists, then `/<route prefix>/<endpoint>` for every provider, the longest prefix first.
 */
export function routeTable(providers: ProviderSpec[], configured: PassThroughEndpoint[]): (path: string, search: string) => Route | undefined {
  const prefixes = providers
    .flatMap((provider) => [provider.routePrefix, ...(provider.aliases ?? []).map((a) => `/${a}`)].map((prefix) => ({ prefix: `${prefix.replace(/\/+$/, '')}/`, provider })))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const custom = configured.map((route) => ({ route, path: route.path.replace(/\/+$/, '') || '/' })).sort((a, b) => b.path.length - a.path.length);

  return (path, search) => {
    switch (path) {
      case '/health/liveliness':
      case '/health/liveness':
        return { kind: 'liveliness' };
      case '/health/readiness':
        return { kind: 'readiness' };
      case '/metrics':
        return { kind: 'metrics' };
    }
    for (const { route, path: routePath } of custom) {
      if (path === routePath) return { kind: 'configured', route, subpath: '' };
      if (route.include_subpath && path.startsWith(`${routePath}/`)) return { kind: 'configured', route, subpath: path.slice(routePath.length) };
    }
    const keyApi = KEY_API.get(path);
    if (keyApi) return { kind: 'keys', action: keyApi.action };
    const aliasList = ALIAS_LISTS.get(path);
    if (aliasList) return { kind: 'aliases', shape: aliasList };
    // Prefixes end with their slash: nothing is built per request to match them.
    for (const { prefix, provider } of prefixes) {
      if (path.startsWith(prefix)) return { kind: 'provider', provider, endpoint: path.slice(prefix.length) + search };
    }
    return undefined;
  };
}
