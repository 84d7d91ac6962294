import { openAiAliasList, type ListedAlias } from '../providers/model-lists.ts';
import { parseModelRef } from '../providers/model-ref.ts';
import type { AliasList, ProviderSpec } from '../providers/types.ts';
import type { Router } from '../router/router.ts';
import { joinEndpoint } from '../transport/url.ts';

/** The shapes of the proxy's own lists: OpenAI's `/v1/models` and LiteLLM's `/model/info`. */
export type AllAliasesShape = 'openai' | 'litellm';

/** Aliases and the provider of each (its first deployment's, as the proxy routes it), read once from the config. */
const listed = new WeakMap<Router, ListedAlias[]>();

function listedAliases(router: Router): ListedAlias[] {
  let aliases = listed.get(router);
  if (!aliases) {
    const seen = new Map<string, ListedAlias>();
    for (const entry of router.config.modelList) {
      // A wildcard route is a pattern, not a name to call; an entry whose provider is unknown cannot be called.
      const parsed = parseModelRef(entry.litellm_params.model, router.config.providers);
      if (entry.model_name.includes('*') || seen.has(entry.model_name) || !parsed.ok) continue;
      seen.set(entry.model_name, { alias: entry.model_name, provider: parsed.provider.id });
    }
    listed.set(router, (aliases = [...seen.values()]));
  }
  return aliases;
}

/** `GET /v1/models`: every alias, OpenAI's shape. `/model/info`: LiteLLM's, a row per deployment, no key or base. */
export function allAliasesAnswer(router: Router, shape: AllAliasesShape): unknown {
  // (a shape's name, not a provider's)
  if (shape === 'litellm') {
    return {
      data: router.config.modelList.map((entry, index) => ({
        model_name: entry.model_name,
        litellm_params: { model: entry.litellm_params.model },
        model_info: { id: `${entry.model_name}#${index}` },
      })),
    };
  }
  return openAiAliasList(listedAliases(router));
}

/** Each provider's list paths, as joined to a base: every spelling of the endpoint lands on the same path. */
const listPaths = new WeakMap<ProviderSpec, Map<string, AliasList>>();

function joinedPath(provider: ProviderSpec, endpoint: string): string | undefined {
  try {
    return joinEndpoint(provider.defaultApiBase ?? 'http://localhost', endpoint, provider.join).pathname;
  } catch {
    return undefined; // a path the request would be refused for anyway: forwarding says why
  }
}

function listFor(provider: ProviderSpec, endpoint: string): AliasList | undefined {
  const lists = provider.aliasLists;
  if (!lists?.length) return undefined;
  const path = endpoint.split('?', 1)[0]!.replace(/\/+$/, '');
  // Most requests are not lists: only a path ending as one of them is joined.
  if (!lists.some((list) => path.endsWith(list.path.slice(list.path.lastIndexOf('/') + 1)))) return undefined;
  let paths = listPaths.get(provider);
  if (!paths) {
    paths = new Map(lists.map((list) => [joinedPath(provider, list.path)!, list]));
    listPaths.set(provider, paths);
  }
  const joined = joinedPath(provider, path);
  return joined === undefined ? undefined : paths.get(joined);
}

/**
 * A provider route's model-list request (`GET /groq/openai/v1/models`) answered with the aliases that provider
 * serves, in its SDK's shape; undefined when it is no list request or the config has no alias for the provider
 * (the request then goes to the provider, as any other).
 */
export function routeAliasList(provider: ProviderSpec, endpoint: string, router: Router): unknown {
  const list = listFor(provider, endpoint);
  if (!list) return undefined;
  const aliases = listedAliases(router).filter((entry) => entry.provider === provider.id);
  return aliases.length ? list.answer(aliases) : undefined;
}
