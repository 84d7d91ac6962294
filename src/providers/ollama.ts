import { ollamaUsage } from './usage-readers.ts';
import { isOllamaTags, modelNames, ollamaAliasList, openAiAliasList } from './model-lists.ts';
import { ollamaStreamText } from './stream-text.ts';
import type { ProviderSpec } from './types.ts';

/** A local server with no key; the native API is under /api, the OpenAI-compatible one under /v1. */
export const ollama: ProviderSpec = {
  id: 'ollama',
  streamText: ollamaStreamText,
  usage: ollamaUsage,
  aliases: ['ollama_chat'],
  label: 'Ollama',
  routePrefix: '/ollama',
  defaultApiBase: 'http://localhost:11434',
  apiBaseEnv: ['OLLAMA_API_BASE'],
  apiKeyEnv: ['OLLAMA_API_KEY'],
  keyRequired: false,
  auth: { kind: 'bearer' },
  join: {},
  // The ollama client joins `/api/*` to its host; OpenAI's SDK at `<host>/v1` writes `v1/*`.
  joinExamples: [
    ['http://localhost:11434', 'api/chat', 'http://localhost:11434/api/chat'],
    ['http://localhost:11434', 'api/embed', 'http://localhost:11434/api/embed'],
    ['http://localhost:11434', 'api/tags', 'http://localhost:11434/api/tags'],
    ['http://localhost:11434', 'v1/chat/completions', 'http://localhost:11434/v1/chat/completions'],
    ['http://localhost:11434', 'v1/models', 'http://localhost:11434/v1/models'],
  ],
  model: 'body',
  endpoints: ['api/chat', 'api/generate', 'api/embed', 'api/tags', 'api/show', 'v1/chat/completions', 'v1/embeddings'],
  health: { path: 'api/version' },
  // Tags list full names (`llama3.2:latest`); a name without a tag means `:latest`, as Ollama resolves it.
  listModels: { path: 'api/tags', ids: modelNames, recognises: isOllamaTags, isServed: (ids, model) => ids.includes(model) || (!model.includes(':') && ids.includes(`${model}:latest`)) },
  aliasLists: [
    { path: 'api/tags', answer: ollamaAliasList },
    { path: 'v1/models', answer: openAiAliasList },
  ],
};
