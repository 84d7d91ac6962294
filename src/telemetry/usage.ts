// What a trace records of an answer's usage, in the GenAI conventions' terms. The counts come from the answering
// provider's usage reader (src/providers/usage-readers.ts, through accounting/usage-tap.ts): input includes cached
// input, as the conventions ask.

export interface GenAiUsage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadTokens?: number | undefined;
  cacheCreationTokens?: number | undefined;
  responseModel?: string | undefined;
}
