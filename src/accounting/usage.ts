/**
 * Tokens one call used, as the provider's answer reported them. Each count is `undefined` when the answer did not
 * say: an unknown count is never 0, so a sum over calls can tell "none" from "not reported".
 */
export interface Usage {
  /** Prompt tokens billed at the input rate, cache reads and writes included (OpenAI's `prompt_tokens`). */
  input: number | undefined;
  /** Generated tokens, reasoning included (OpenAI's `completion_tokens`). */
  output: number | undefined;
  /** Of `input`, the tokens read from a prompt cache. */
  cacheRead: number | undefined;
  /** Of `input`, the tokens written to a prompt cache (Anthropic's `cache_creation_input_tokens`). */
  cacheWrite: number | undefined;
  /** Of `output`, the reasoning ("thinking") tokens. */
  reasoning: number | undefined;
}

/** A call whose answer reported no usage at all. */
export const UNKNOWN_USAGE: Readonly<Usage> = Object.freeze({
  input: undefined,
  output: undefined,
  cacheRead: undefined,
  cacheWrite: undefined,
  reasoning: undefined,
});

/** Builds a Usage from the counts an answer reported; anything not a non-negative integer stays unknown. */
export function usageOf(counts: Partial<Record<keyof Usage, unknown>>): Usage {
  return {
    input: tokenCount(counts.input),
    output: tokenCount(counts.output),
    cacheRead: tokenCount(counts.cacheRead),
    cacheWrite: tokenCount(counts.cacheWrite),
    reasoning: tokenCount(counts.reasoning),
  };
}

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** Whether the answer reported anything at all (an unpriced call and an unreported one differ). */
export function usageKnown(usage: Usage): boolean {
  return usage.input !== undefined || usage.output !== undefined;
}
