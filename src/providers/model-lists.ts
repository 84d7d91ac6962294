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
