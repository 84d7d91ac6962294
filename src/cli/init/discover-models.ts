import { UsageError } from '../../errors.ts';
import { findProvider, listProviders, providerNames } from '../../providers/registry.ts';
import type { ProviderSpec } from '../../providers/types.ts';
import { Router } from '../../router/router.ts';
import { readWhole } from '../../transport/read-whole.ts';

export interface DiscoverOptions {
  apiBase: string;
  /** A provider id or alias; guessed from the server's model list when absent. */
  provider?: string | undefined;
  apiKey?: string | undefined;
  timeout?: number | undefined;
}

export interface Discovered {
  provider: ProviderSpec;
  /** The served model ids, as the server lists them. */
  models: string[];
}

const MAX_LIST_BYTES = 8 * 1024 * 1024;

/** GETs a provider's model list through the one request path (its join rule and auth), and parses it. */
async function fetchList(provider: ProviderSpec, options: DiscoverOptions): Promise<{ status: number; body: unknown }> {
  const router = new Router({ numRetries: 0 });
  try {
    const reply = await router.send({
      model: `${provider.id}/llmpass-init`,
      endpoint: provider.listModels!.path,
      method: 'GET',
      apiBase: options.apiBase,
      apiKey: options.apiKey,
      timeout: options.timeout ?? 10,
      headers: [['accept', 'application/json']],
    });
    const bytes = await readWhole(reply.body, MAX_LIST_BYTES, () => new UsageError(`${options.apiBase}: the model list is over ${MAX_LIST_BYTES >> 20} MiB`));
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      body = undefined;
    }
    return { status: reply.status, body };
  } finally {
    await router.close().catch(() => undefined);
  }
}

function refused(status: number, apiBase: string, path: string): UsageError {
  const hint = status === 401 || status === 403 ? ': it wants a key, so pass --api-key-env VAR with the variable that holds it' : '';
  return new UsageError(`${apiBase} answered ${status} to GET ${path}${hint}`);
}

/**
 * Asks the server at `apiBase` what it serves: the named provider's model list, or, unnamed, each list a provider
 * recognises as its own (vLLM's /v1/models, Ollama's /api/tags, ...), one request per distinct path.
 */
export async function discoverModels(options: DiscoverOptions): Promise<Discovered> {
  if (options.provider !== undefined) {
    const provider = findProvider(options.provider);
    if (!provider) throw new UsageError(`--provider ${options.provider}: no such provider (one of ${providerNames().join(', ')})`);
    if (!provider.listModels) throw new UsageError(`--provider ${options.provider}: ${provider.label} has no model list to ask`);
    const { status, body } = await fetchList(provider, options);
    if (status < 200 || status > 299) throw refused(status, options.apiBase, provider.listModels.path);
    return { provider, models: provider.listModels.ids(body) };
  }
  const candidates = listProviders().filter((provider) => provider.listModels?.recognises);
  const asked = new Map<string, { status: number; body: unknown }>();
  for (const provider of candidates) {
    const list = provider.listModels!;
    let answer = asked.get(list.path);
    if (!answer) {
      answer = await fetchList(provider, options);
      asked.set(list.path, answer);
    }
    if (answer.status >= 200 && answer.status <= 299 && list.recognises!(answer.body)) return { provider, models: list.ids(answer.body) };
  }
  const denied = [...asked].find(([, answer]) => answer.status === 401 || answer.status === 403);
  if (denied) throw refused(denied[1].status, options.apiBase, denied[0]);
  throw new UsageError(
    `cannot tell which server ${options.apiBase} is (asked ${[...asked.keys()].map((path) => `/${path}`).join(', ')}): name it with --provider, e.g. --provider openai`,
  );
}
