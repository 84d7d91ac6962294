import { openAiUsage } from './usage-readers.ts';
import { mistralAliasList, openAiAliasList, openAiModelIds, togetherAliasList } from './model-lists.ts';
import type { AliasList, ModelList, ProviderSpec } from './types.ts';
import { openAiStreamText } from './stream-text.ts';

interface OpenAiCompatible {
  id: string;
  label: string;
  /** The id in @pydantic/genai-prices, when it prices this service. */
  pricesProvider?: string;
  base: string;
  keyEnv: readonly string[];
  baseEnv: readonly string[];
  aliases?: readonly string[];
  listModels?: boolean;
  isServed?: ModelList['isServed'];
  endpoints?: readonly string[];
  /** The list's shape when it is not OpenAI's. */
  aliasList?: AliasList['answer'];
}

/**
 * The tails of a base's path, longest first (`/openai/v1`: `openai/v1`, `v1`): an endpoint may start with any of
 * them and still mean the base, as SDKs that join from the host write it (Groq's `openai/v1/chat/completions`) and
 * as OpenAI's SDK pointed at `/<route>/v1` does.
 */
export function baseSeams(base: string): string[] {
  const segments = new URL(base).pathname.split('/').filter(Boolean);
  return segments.map((_, i) => segments.slice(i).join('/'));
}

/** The many services that speak OpenAI's API differ only by base URL and key variable. */
function openAiCompatible(entry: OpenAiCompatible): ProviderSpec {
  const seams = baseSeams(entry.base);
  const spec: ProviderSpec = {
    id: entry.id,
    label: entry.label,
    routePrefix: `/${entry.id}`,
    defaultApiBase: entry.base,
    apiBaseEnv: entry.baseEnv,
    apiKeyEnv: entry.keyEnv,
    keyRequired: true,
    auth: { kind: 'bearer' },
    join: { collapseSeam: seams },
    // Every spelling an SDK or a person writes reaches the same URL: from the base, or with the base's own path again.
    joinExamples: ['', ...seams.map((seam) => `${seam}/`)].map((lead) => [entry.base, `${lead}chat/completions`, `${entry.base}/chat/completions`] as const),
    model: 'body',
    endpoints: entry.endpoints ?? ['chat/completions', 'embeddings', 'models'],
    // Even a service without a list of its own (Perplexity) gets one of its aliases through the proxy.
    aliasLists: [{ path: 'models', answer: entry.aliasList ?? openAiAliasList }],
    streamText: openAiStreamText,
    usage: openAiUsage,
  };
  if (entry.aliases) spec.aliases = entry.aliases;
  if (entry.pricesProvider) spec.pricesProvider = entry.pricesProvider;
  if (entry.listModels !== false) {
    spec.listModels = { path: 'models', ids: openAiModelIds };
    if (entry.isServed) spec.listModels.isServed = entry.isServed;
  }
  return spec;
}

/** OpenAI itself; `openai/<model>` with any api_base also serves llama.cpp, LM Studio, TGI and friends. */
export const openai: ProviderSpec = {
  ...openAiCompatible({
    id: 'openai',
    pricesProvider: 'openai',
    label: 'OpenAI',
    base: 'https://api.openai.com/v1',
    keyEnv: ['OPENAI_API_KEY'],
    baseEnv: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'],
    endpoints: ['chat/completions', 'responses', 'completions', 'embeddings', 'audio/transcriptions', 'audio/speech', 'images/generations', 'moderations', 'models'],
  }),
  // A self-hosted OpenAI-compatible server often has no key.
  keyRequired: false,
  joinExamples: [
    ['https://api.openai.com/v1', 'chat/completions', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1', 'v1/chat/completions', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1/', '/v1/embeddings?x=1', 'https://api.openai.com/v1/embeddings?x=1'],
    ['http://localhost:8080', 'v1/chat/completions', 'http://localhost:8080/v1/chat/completions'],
  ],
  infersBareModel: /^(gpt-|chatgpt-|o[134](-|$)|text-embedding-|omni-moderation|ft:gpt-|davinci-|babbage-)/,
};

export const openAiCompatibles: ProviderSpec[] = [
  openAiCompatible({ id: 'groq', pricesProvider: 'groq', label: 'Groq', base: 'https://api.groq.com/openai/v1', keyEnv: ['GROQ_API_KEY'], baseEnv: ['GROQ_API_BASE'] }),
  openAiCompatible({
    id: 'together_ai',
    pricesProvider: 'together',
    aliases: ['together'],
    label: 'Together AI',
    base: 'https://api.together.xyz/v1',
    keyEnv: ['TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHERAI_API_KEY', 'TOGETHER_AI_TOKEN'],
    baseEnv: ['TOGETHER_AI_API_BASE'],
    aliasList: togetherAliasList,
  }),
  openAiCompatible({
    id: 'fireworks_ai',
    pricesProvider: 'fireworks',
    aliases: ['fireworks'],
    label: 'Fireworks AI',
    base: 'https://api.fireworks.ai/inference/v1',
    keyEnv: ['FIREWORKS_API_KEY', 'FIREWORKS_AI_API_KEY', 'FIREWORKSAI_API_KEY', 'FIREWORKS_AI_TOKEN'],
    baseEnv: ['FIREWORKS_API_BASE'],
    // Ids are resource names (`accounts/fireworks/models/x`) and configs often write the bare name.
    isServed: (ids, model) => (ids.includes(model) || ids.includes(`accounts/fireworks/models/${model}`) ? true : undefined),
  }),
  openAiCompatible({ id: 'deepseek', pricesProvider: 'deepseek', label: 'DeepSeek', base: 'https://api.deepseek.com', keyEnv: ['DEEPSEEK_API_KEY'], baseEnv: ['DEEPSEEK_API_BASE'] }),
  openAiCompatible({
    id: 'openrouter',
    pricesProvider: 'openrouter',
    label: 'OpenRouter',
    base: 'https://openrouter.ai/api/v1',
    keyEnv: ['OPENROUTER_API_KEY', 'OR_API_KEY'],
    baseEnv: ['OPENROUTER_API_BASE'],
  }),
  openAiCompatible({ id: 'xai', pricesProvider: 'x-ai', label: 'xAI', base: 'https://api.x.ai/v1', keyEnv: ['XAI_API_KEY'], baseEnv: ['XAI_API_BASE'] }),
  openAiCompatible({
    id: 'perplexity',
    pricesProvider: 'perplexity',
    label: 'Perplexity',
    base: 'https://api.perplexity.ai',
    keyEnv: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'],
    baseEnv: ['PERPLEXITY_API_BASE'],
    listModels: false,
  }),
  openAiCompatible({
    id: 'deepinfra',
    label: 'DeepInfra',
    base: 'https://api.deepinfra.com/v1/openai',
    keyEnv: ['DEEPINFRA_API_KEY'],
    baseEnv: ['DEEPINFRA_API_BASE'],
  }),
  openAiCompatible({
    id: 'mistral',
    pricesProvider: 'mistral',
    label: 'Mistral',
    base: 'https://api.mistral.ai/v1',
    keyEnv: ['MISTRAL_API_KEY'],
    baseEnv: ['MISTRAL_API_BASE'],
    aliasList: mistralAliasList,
  }),
];
