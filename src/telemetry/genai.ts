// GenAI semantic-convention values for llmpass's providers and endpoints.

/** `gen_ai.provider.name`'s well-known values; providers without one keep llmpass's id. */
const PROVIDER_NAMES: Record<string, string> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  anthropic: 'anthropic',
  bedrock: 'aws.bedrock',
  gemini: 'gcp.gemini',
  vertex_ai: 'gcp.vertex_ai',
  cohere: 'cohere',
  mistral: 'mistral_ai',
  perplexity: 'perplexity',
  hosted_vllm: 'vllm',
};

export function genAiProviderName(providerId: string): string {
  return PROVIDER_NAMES[providerId] ?? providerId;
}

const operations = new Map<string, string>();

/** genAiOperationName, remembered per path (a proxy sees the same few paths again and again; bounded). */
export function cachedOperationName(path: string): string {
  let name = operations.get(path);
  if (name === undefined) {
    if (operations.size >= 1024) operations.clear();
    operations.set(path, (name = genAiOperationName(path)));
  }
  return name;
}

/** `gen_ai.operation.name` from the endpoint: the convention's names where one fits, else the endpoint's last word. */
export function genAiOperationName(path: string): string {
  const clean = path.replace(/[?#].*$/, '').replace(/\/+$/, '');
  if (/chat\/completions$|\/messages$|^messages$|:?converse(-stream)?$|\/chat$|^chat$/.test(clean)) return 'chat';
  if (/(^|\/)completions$/.test(clean)) return 'text_completion';
  if (/(^|\/)embeddings?$|:embedContent$|:batchEmbedContents$|(^|\/)embed$/.test(clean)) return 'embeddings';
  if (/:(stream)?generateContent$/i.test(clean)) return 'generate_content';
  const last = clean.split(/[/:]/).pop() ?? '';
  return last.length > 0 && last.length <= 64 ? last : 'request';
}
