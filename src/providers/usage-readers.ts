import type { UsageReport, UsageReader } from './types.ts';

// Where each API's answers report token usage, buffered (the whole JSON body) and streamed (one event's data).
// Counts follow `Usage` (src/accounting/usage.ts): input includes cache reads and writes, output includes reasoning.
// A reader returns only what the answer says; a field it does not report stays undefined (never 0), and the counter
// keeps the latest report of each field, so streams whose last event holds the totals need nothing more.

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const obj = (value: unknown): Json => (isObject(value) ? value : {});
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined);
const sum = (...counts: Array<number | undefined>): number | undefined => (counts[0] === undefined ? undefined : counts.reduce<number>((a, b) => a + (b ?? 0), 0));
const minus = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : Math.max(0, a - b));

/**
 * The reader with its hints (see `UsageReader`): `usageKey`, the top-level member a JSON answer's usage is read from
 * alone; `mentions`, what any text holding usage contains.
 */
const hinted = (reader: UsageReader, hints: { usageKey?: string; mentions: RegExp }): UsageReader => Object.assign(reader, hints);

/** `"usage": {`: an object, so OpenAI-style stream events that carry `"usage": null` are skipped unparsed. */
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

/** A reader of a `usage` object found at the top level, or in the `holder` member some stream events wrap it in. */
function usageMember(read: (usage: Json) => UsageReport | undefined, holder: string): UsageReader {
  return hinted((data) => {
    if (!isObject(data)) return undefined;
    if (isObject(data.usage)) return read(data.usage);
    const held = data[holder];
    return isObject(held) && isObject(held.usage) ? read(held.usage) : undefined;
  }, { usageKey: 'usage', mentions: USAGE_OBJECT });
}

/** Drops undefined fields; undefined when nothing is reported, so a caller can tell an event without usage. */
function report(parts: UsageReport): UsageReport | undefined {
  let out: UsageReport | undefined;
  for (const key in parts) {
    const value = parts[key as keyof UsageReport];
    if (value !== undefined) (out ??= {})[key as keyof UsageReport] = value;
  }
  return out;
}

/**
 * OpenAI's `usage`: chat and completions (`prompt_tokens`, with cached and reasoning details), the Responses API
 * (`input_tokens`, `output_tokens`), embeddings and vLLM's pooling, classify and score answers (`prompt_tokens`,
 * `total_tokens`: nothing generated), vLLM's rerank (`total_tokens` alone).
 */
function openAiUsageObject(usage: Json): UsageReport | undefined {
  const input = num(usage.prompt_tokens) ?? num(usage.input_tokens);
  const total = num(usage.total_tokens);
  const output = num(usage.completion_tokens) ?? num(usage.output_tokens) ?? minus(total, input);
  const inputDetails = obj(usage.prompt_tokens_details ?? usage.input_tokens_details);
  const outputDetails = obj(usage.completion_tokens_details ?? usage.output_tokens_details);
  if (input === undefined && output === undefined && total !== undefined) return { input: total, output: 0 };
  return report({ input, output, cacheRead: num(inputDetails.cached_tokens), reasoning: num(outputDetails.reasoning_tokens) });
}

/** OpenAI chat, completions, embeddings (`usage`) and the Responses API (`usage`, or `response.usage` in its events). */
export const openAiUsage = usageMember(openAiUsageObject, 'response');

/** Anthropic's `usage`: `input_tokens` leaves cache reads and writes out, so they are added (input includes them). */
function anthropicUsageObject(usage: Json): UsageReport | undefined {
  const cacheRead = num(usage.cache_read_input_tokens);
  const cacheWrite = num(usage.cache_creation_input_tokens);
  return report({ input: sum(num(usage.input_tokens), cacheRead, cacheWrite), output: num(usage.output_tokens), cacheRead, cacheWrite });
}

/** Anthropic messages: the answer's `usage`; streamed, `message_start`'s `message.usage` then `message_delta`'s running totals. */
export const anthropicUsage = usageMember(anthropicUsageObject, 'message');

/**
 * Gemini's `usageMetadata` (generate, stream, Vertex too): `promptTokenCount` includes the cached content,
 * `candidatesTokenCount` leaves the thoughts out (output includes them). Embeddings: Vertex `predict`'s
 * `statistics.token_count` per instance; AI Studio's `embedContent` reports none.
 */
export const geminiUsage: UsageReader = hinted((data) => {
  if (Array.isArray(data)) return geminiUsage(data.at(-1), undefined); // unstreamed streamGenerateContent: one array, the last has the totals
  if (!isObject(data)) return undefined;
  if (isObject(data.usageMetadata)) {
    const usage = data.usageMetadata;
    const thoughts = num(usage.thoughtsTokenCount);
    const candidates = num(usage.candidatesTokenCount) ?? (num(usage.promptTokenCount) !== undefined && num(usage.totalTokenCount) !== undefined ? minus(minus(num(usage.totalTokenCount), num(usage.promptTokenCount)), thoughts ?? 0) : undefined);
    return report({ input: num(usage.promptTokenCount), output: sum(candidates, thoughts), cacheRead: num(usage.cachedContentTokenCount), reasoning: thoughts });
  }
  if (Array.isArray(data.predictions)) {
    const counts = data.predictions.map((p) => num(obj(obj(obj(p).embeddings).statistics).token_count));
    if (counts.length && counts.every((n) => n !== undefined)) return { input: counts.reduce<number>((a, b) => a + b!, 0), output: 0 };
  }
  return undefined;
}, { usageKey: 'usageMetadata', mentions: /"usageMetadata"|"token_count"/ });

/**
 * Cohere v2: chat's `usage` (and `message-end`'s `delta.usage`), embed's and rerank's `meta`. Billed units are what
 * is charged, so they win over `tokens`. Rerank bills search units, not tokens: its tokens stay unknown.
 */
export const cohereUsage: UsageReader = hinted((data) => {
  if (!isObject(data)) return undefined;
  const holder = isObject(data.usage) ? data.usage : isObject(obj(data.delta).usage) ? obj(obj(data.delta).usage) : isObject(data.meta) ? data.meta : undefined;
  if (!holder) return undefined;
  const billed = obj(holder.billed_units);
  const tokens = obj(holder.tokens);
  const input = num(billed.input_tokens) ?? num(tokens.input_tokens);
  const output = num(billed.output_tokens) ?? num(tokens.output_tokens) ?? (input !== undefined && 'embeddings' in data ? 0 : undefined);
  return report({ input, output });
}, { mentions: /"usage"|"meta"/ });

/** Bedrock's `usage` (Converse, `metadata` events): like Anthropic's, cache reads and writes apart from `inputTokens`. */
function bedrockConverseUsage(usage: Json): UsageReport | undefined {
  const cacheRead = num(usage.cacheReadInputTokens);
  const cacheWrite = num(usage.cacheWriteInputTokens);
  return report({ input: sum(num(usage.inputTokens), cacheRead, cacheWrite), output: num(usage.outputTokens), cacheRead, cacheWrite });
}

/** Invoke's answers in each model family's shape, and the invocation metrics Bedrock adds to a stream's last chunk. */
function bedrockInvokeUsage(body: Json): UsageReport | undefined {
  const metrics = obj(body['amazon-bedrock-invocationMetrics']);
  if (num(metrics.inputTokenCount) !== undefined) return report({ input: num(metrics.inputTokenCount), output: num(metrics.outputTokenCount) });
  if (num(body.prompt_token_count) !== undefined) return report({ input: num(body.prompt_token_count), output: num(body.generation_token_count) }); // Llama
  if (num(body.inputTextTokenCount) !== undefined) {
    // Titan: text results carry their token counts; embeddings generate none.
    const results = Array.isArray(body.results) ? body.results.map((r) => num(obj(r).tokenCount)) : [];
    const output = 'embedding' in body ? 0 : results.length && results.every((n) => n !== undefined) ? results.reduce<number>((a, b) => a + b!, 0) : undefined;
    return report({ input: num(body.inputTextTokenCount), output });
  }
  return anthropicUsage(body, undefined); // Claude
}

/**
 * Bedrock: Converse's `usage` and converse-stream's `metadata` event; invoke's model-specific bodies; and
 * invoke-with-response-stream's `chunk` events, whose base64 `bytes` hold the model's own event.
 */
export const bedrockUsage: UsageReader = hinted((data) => {
  if (!isObject(data)) return undefined;
  if (typeof data.bytes === 'string') {
    let inner: unknown;
    try {
      inner = JSON.parse(Buffer.from(data.bytes, 'base64').toString('utf8'));
    } catch {
      return undefined;
    }
    return isObject(inner) ? bedrockInvokeUsage(inner) : undefined;
  }
  if (isObject(data.usage) && ('inputTokens' in data.usage || 'outputTokens' in data.usage)) return bedrockConverseUsage(data.usage);
  return bedrockInvokeUsage(data);
  // Converse's tokens, each invoke family's counts, and a stream chunk's base64 `bytes` (the model's own event).
}, { mentions: /Tokens|_count|Count"|"usage"|"bytes"/ });

/** Ollama's native answers and NDJSON's final (`done`) line: `prompt_eval_count`, `eval_count`; `/api/embed` generates none. Its `/v1` routes are OpenAI's. */
export const ollamaUsage: UsageReader = hinted((data) => {
  if (!isObject(data)) return undefined;
  if (isObject(data.usage) || isObject(data.response)) return openAiUsage(data, undefined);
  const input = num(data.prompt_eval_count);
  if (input === undefined && num(data.eval_count) === undefined) return undefined;
  return report({ input, output: num(data.eval_count) ?? (Array.isArray(data.embeddings) ? 0 : undefined) });
}, { usageKey: 'usage', mentions: /eval_count"|"usage"\s*:\s*\{|"response"\s*:\s*\{/ });

/** Vertex serves Gemini and Anthropic's Claude: whichever shape the answer has. */
export const vertexUsage: UsageReader = hinted((data, eventType) => geminiUsage(data, eventType) ?? anthropicUsage(data, eventType), {
  mentions: new RegExp(`${geminiUsage.mentions!.source}|${USAGE_OBJECT.source}`),
});
