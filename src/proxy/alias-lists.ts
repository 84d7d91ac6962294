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

/** Which aliases a caller may see (a virtual key sees only those it may use). */
export type AliasFilter = (alias: string) => boolean;
const everyAlias: AliasFilter = () => true;

/**
 * `GET /v1/models`: every alias the caller may use, OpenAI's shape. `/model/info`: LiteLLM's, a row per deployment,
 * no key or base; the entry's own `model_info` as LiteLLM answers it (tools read its `mode`, `base_model`), its `id`
 * when it sets one; `?litellm_model_id=` answers that deployment only.
 */
export function allAliasesAnswer(router: Router, shape: AllAliasesShape, search: string, visible: AliasFilter = everyAlias): unknown {
  // (a shape's name, not a provider's)
  if (shape === 'litellm') {
    const rows = router.config.modelList
      .map((entry, index) => ({ entry, index }))
      .filter(({ entry }) => visible(entry.model_name))
      .map(({ entry, index }) => ({
        model_name: entry.model_name,
        litellm_params: { model: entry.litellm_params.model },
        model_info: { id: `${entry.model_name}#${index}`, ...entry.model_info },
      }));
    // `?litellm_model_id=`: the one deployment with that id, as LiteLLM answers it.
    const id = search ? new URLSearchParams(search).get('litellm_model_id') : null;
    return { data: id === null ? rows : rows.filter((row) => String(row.model_info.id) === id) };
  }
  return openAiAliasList(listedAliases(router).filter((entry) => visible(entry.alias)));
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
export function routeAliasList(provider: ProviderSpec, endpoint: string, router: Router, visible: AliasFilter = everyAlias): unknown {
  const list = listFor(provider, endpoint);
  if (!list) return undefined;
  const served = listedAliases(router).filter((entry) => entry.provider === provider.id);
  // A key that may use none of them still gets a list (an empty one), never the provider's own.
  return served.length ? list.answer(served.filter((entry) => visible(entry.alias))) : undefined;
}
