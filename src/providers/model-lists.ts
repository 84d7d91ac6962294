/** Readers for the shapes that model-list endpoints answer with; each provider names the one it uses. */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idsOf(items: unknown, key: string, strip = ''): string[] {
  if (!Array.isArray(items)) return [];
  return items
    .map((item) => (isRecord(item) && typeof item[key] === 'string' ? (item[key] as string) : undefined))
    .filter((id): id is string => id !== undefined)
    .map((id) => (strip && id.startsWith(strip) ? id.slice(strip.length) : id));
}

/** `{"object":"list","data":[{"id":...}]}` (OpenAI, vLLM, Anthropic) or a bare array (Together). */
export function openAiModelIds(body: unknown): string[] {
  if (Array.isArray(body)) return idsOf(body, 'id');
  return isRecord(body) ? idsOf(body.data, 'id') : [];
}

/** `{"models":[{"name":"models/gemini-..."}]}` (Gemini). */
export function geminiModelIds(body: unknown): string[] {
  return isRecord(body) ? idsOf(body.models, 'name', 'models/') : [];
}

/** `{"models":[{"name":"llama3.2:latest"}]}` (Ollama, Cohere). */
export function modelNames(body: unknown): string[] {
  return isRecord(body) ? idsOf(body.models, 'name') : [];
}

/** Every entry of an OpenAI-shaped list is `owned_by` this owner (vLLM says `vllm`). */
export function ownedBy(owner: string): (body: unknown) => boolean {
  return (body) => {
    const data = isRecord(body) ? body.data : undefined;
    return Array.isArray(data) && data.length > 0 && data.every((item) => isRecord(item) && item.owned_by === owner);
  };
}

/** Ollama's tags: `{"models":[{"name":..., "digest":...}]}`. */
export function isOllamaTags(body: unknown): boolean {
  return isRecord(body) && Array.isArray(body.models) && body.models.every((item) => isRecord(item) && typeof item.name === 'string' && typeof item.digest === 'string');
}

/** An alias as a model list shows it: the name callers use, and the provider serving it. */
export interface ListedAlias {
  alias: string;
  provider: string;
}

/** OpenAI's list, which most SDKs read (`client.models.list()`). */
export function openAiAliasList(aliases: readonly ListedAlias[]): unknown {
  return { object: 'list', data: aliases.map(({ alias, provider }) => ({ id: alias, object: 'model', created: 0, owned_by: provider })) };
}

/** Mistral's SDK checks each card's `type` (`base`) and `capabilities`. */
export function mistralAliasList(aliases: readonly ListedAlias[]): unknown {
  return { object: 'list', data: aliases.map(({ alias, provider }) => ({ id: alias, object: 'model', created: 0, owned_by: provider, type: 'base', capabilities: {} })) };
}

/** Together's list is a bare array of model objects. */
export function togetherAliasList(aliases: readonly ListedAlias[]): unknown {
  return aliases.map(({ alias, provider }) => ({ id: alias, object: 'model', created: 0, type: 'chat', display_name: alias, organization: provider }));
}

/** Anthropic's page: `data` with `has_more` and the ids at either end. */
export function anthropicAliasList(aliases: readonly ListedAlias[]): unknown {
  const data = aliases.map(({ alias }) => ({ type: 'model', id: alias, display_name: alias, created_at: '1970-01-01T00:00:00Z' }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

/** Gemini's `models` with resource names (`models/<name>`), one page. */
export function geminiAliasList(aliases: readonly ListedAlias[]): unknown {
  return { models: aliases.map(({ alias }) => ({ name: `models/${alias}`, displayName: alias })) };
}

/** Ollama's `/api/tags`. */
export function ollamaAliasList(aliases: readonly ListedAlias[]): unknown {
  return {
    models: aliases.map(({ alias }) => ({ name: alias, model: alias, modified_at: '1970-01-01T00:00:00Z', size: 0, digest: '', details: {} })),
  };
}

/** Cohere's `/v1/models`. */
export function cohereAliasList(aliases: readonly ListedAlias[]): unknown {
  return { models: aliases.map(({ alias }) => ({ name: alias })) };
}
