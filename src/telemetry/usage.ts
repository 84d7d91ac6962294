// Token usage and the answering model, read from an answer as it passes. For now OpenAI's shapes (vLLM's too):
// a JSON body's `usage` and the SSE event that carries it. Swappable for per-provider readers: one function.

export interface GenAiUsage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadTokens?: number | undefined;
  cacheCreationTokens?: number | undefined;
  responseModel?: string | undefined;
}

const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined);

/** Folds one parsed answer (a whole JSON body or one SSE event) into `into`: later values win. */
export function readUsage(value: unknown, into: GenAiUsage): void {
  if (typeof value !== 'object' || value === null) return;
  const answer = value as Record<string, unknown>;
  if (typeof answer.model === 'string' && answer.model) into.responseModel = answer.model;
  const usage = answer.usage as Record<string, unknown> | undefined | null;
  if (typeof usage !== 'object' || usage === null) return;
  into.inputTokens = count(usage.prompt_tokens) ?? count(usage.input_tokens) ?? into.inputTokens;
  into.outputTokens = count(usage.completion_tokens) ?? count(usage.output_tokens) ?? into.outputTokens;
  const details = (usage.prompt_tokens_details ?? usage.input_tokens_details) as Record<string, unknown> | undefined | null;
  into.cacheReadTokens = count(details?.cached_tokens) ?? count(usage.cache_read_input_tokens) ?? into.cacheReadTokens;
  into.cacheCreationTokens = count(usage.cache_creation_input_tokens) ?? into.cacheCreationTokens;
}
