import { cohereUsage } from './usage-readers.ts';
import { cohereAliasList, modelNames } from './model-lists.ts';
import { cohereStreamText } from './stream-text.ts';
import type { ProviderSpec } from './types.ts';

/** The base is the host; endpoints carry their version (`v2/chat`, `v2/rerank`, `v2/embed`). */
export const cohere: ProviderSpec = {
  id: 'cohere',
  streamText: cohereStreamText,
  usage: cohereUsage,
  aliases: ['cohere_chat'],
  label: 'Cohere',
  pricesProvider: 'cohere',
  routePrefix: '/cohere',
  defaultApiBase: 'https://api.cohere.com',
  apiBaseEnv: ['COHERE_API_BASE'],
  apiKeyEnv: ['COHERE_API_KEY', 'CO_API_KEY'],
  keyRequired: true,
  auth: { kind: 'bearer' },
  join: {},
  // cohere-ai's CohereClientV2 and CohereClient (v1) join these to their base as written.
  joinExamples: [
    ['https://api.cohere.com', 'v2/rerank', 'https://api.cohere.com/v2/rerank'],
    ['https://api.cohere.com', 'v2/chat', 'https://api.cohere.com/v2/chat'],
    ['https://api.cohere.com', 'v2/embed', 'https://api.cohere.com/v2/embed'],
    ['https://api.cohere.com', 'v1/chat', 'https://api.cohere.com/v1/chat'],
    ['https://api.cohere.com', 'v1/models', 'https://api.cohere.com/v1/models'],
  ],
  model: 'body',
  endpoints: ['v2/chat', 'v2/embed', 'v2/rerank', 'v1/models'],
  infersBareModel: /^(command-|embed-english|embed-multilingual|rerank-)/,
  listModels: { path: 'v1/models', ids: modelNames },
  aliasLists: [{ path: 'v1/models', answer: cohereAliasList }],
};
