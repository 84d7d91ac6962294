import { openAiUsage } from './usage-readers.ts';
import { openAiAliasList, openAiModelIds, ownedBy } from './model-lists.ts';
import { openAiStreamText } from './stream-text.ts';
import type { ProviderSpec } from './types.ts';

/**
 * vLLM's OpenAI routes live under /v1 and its pooling and utility routes (/classify, /score, /rerank,
 * /pooling, /tokenize, /health) at the root, so configs write the base both ways: strip `/v1` to find the root.
 * vLLM checks `--api-key` only as a Bearer token (LiteLLM sends none, or `x-api-key`, which vLLM ignores).
 */
export const vllm: ProviderSpec = {
  id: 'hosted_vllm',
  streamText: openAiStreamText,
  usage: openAiUsage,
  aliases: ['vllm'],
  label: 'vLLM',
  routePrefix: '/vllm',
  apiBaseEnv: ['HOSTED_VLLM_API_BASE', 'VLLM_API_BASE'],
  apiKeyEnv: ['HOSTED_VLLM_API_KEY', 'VLLM_API_KEY'],
  keyRequired: false,
  auth: { kind: 'bearer' },
  join: { stripBaseSuffix: '/v1' },
  joinExamples: [
    ['http://h:8000', 'classify', 'http://h:8000/classify'],
    ['http://h:8000/v1', 'classify', 'http://h:8000/classify'],
    ['http://h:8000/v1/', '/v1/chat/completions', 'http://h:8000/v1/chat/completions'],
    ['http://h:8000', 'v1/chat/completions', 'http://h:8000/v1/chat/completions'],
    ['https://gw.example/team-a/v1', 'score?x=1', 'https://gw.example/team-a/score?x=1'],
  ],
  model: 'body',
  endpoints: ['classify', 'score', 'rerank', 'pooling', 'tokenize', 'detokenize', 'v1/chat/completions', 'v1/completions', 'v1/embeddings', 'v1/audio/transcriptions', 'v1/models', 'health'],
  health: { path: 'health' },
  listModels: { path: 'v1/models', ids: openAiModelIds, recognises: ownedBy('vllm') },
  aliasLists: [{ path: 'v1/models', answer: openAiAliasList }],
};
