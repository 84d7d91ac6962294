import { anthropicUsage } from './usage-readers.ts';
import { anthropicAliasList, openAiModelIds } from './model-lists.ts';
import { anthropicStreamText } from './stream-text.ts';
import type { ProviderSpec } from './types.ts';

/** The base has no path; endpoints carry `/v1`. The version header is required, and a caller may set another. */
export const anthropic: ProviderSpec = {
  id: 'anthropic',
  streamText: anthropicStreamText,
  usage: anthropicUsage,
  label: 'Anthropic',
  pricesProvider: 'anthropic',
  routePrefix: '/anthropic',
  defaultApiBase: 'https://api.anthropic.com',
  apiBaseEnv: ['ANTHROPIC_API_BASE', 'ANTHROPIC_BASE_URL'],
  apiKeyEnv: ['ANTHROPIC_API_KEY'],
  keyRequired: true,
  auth: { kind: 'header', name: 'x-api-key' },
  defaultHeaders: { 'anthropic-version': '2023-06-01' },
  join: { collapseSeam: 'v1' },
  joinExamples: [
    ['https://api.anthropic.com', 'v1/messages', 'https://api.anthropic.com/v1/messages'],
    ['https://gw.example/anthropic/v1', 'v1/messages', 'https://gw.example/anthropic/v1/messages'],
  ],
  model: 'body',
  endpoints: ['v1/messages', 'v1/messages/count_tokens', 'v1/models'],
  infersBareModel: /^claude-/,
  // The list is paged and leaves aliases (`claude-sonnet-4-0`) out: a listed id confirms, an absent one proves nothing.
  listModels: { path: 'v1/models?limit=1000', ids: openAiModelIds, isServed: (ids, model) => (ids.includes(model) ? true : undefined) },
  aliasLists: [{ path: 'v1/models', answer: anthropicAliasList }],
};
