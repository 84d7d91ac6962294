import { openAiUsage } from './usage-readers.ts';
import { openAiAliasList, openAiModelIds } from './model-lists.ts';
import { openAiStreamText } from './stream-text.ts';
import type { EndpointContext, ProviderSpec } from './types.ts';

export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/**
 * Classic Azure OpenAI routes on the deployment name in the path and needs `api-version`; the v1 API
 * (`openai/v1/...`) takes the deployment in the body and no version. A path starting with `openai/` is kept.
 */
function expandAzureEndpoint(endpoint: string, { model, apiVersion }: EndpointContext): string {
  const path = endpoint.replace(/^\/+/, '');
  if (path.startsWith('openai/v1/')) return path;
  const routed = path.startsWith('openai/') ? path : `openai/deployments/${encodeURIComponent(model)}/${path}`;
  if (/[?&]api-version=/.test(routed)) return routed;
  return `${routed}${routed.includes('?') ? '&' : '?'}api-version=${encodeURIComponent(apiVersion ?? AZURE_DEFAULT_API_VERSION)}`;
}

export const azure: ProviderSpec = {
  id: 'azure',
  streamText: openAiStreamText,
  usage: openAiUsage,
  label: 'Azure OpenAI',
  pricesProvider: 'azure',
  routePrefix: '/azure',
  apiBaseEnv: ['AZURE_API_BASE', 'AZURE_OPENAI_ENDPOINT'],
  apiKeyEnv: ['AZURE_OPENAI_API_KEY', 'AZURE_API_KEY'],
  apiVersionEnv: ['AZURE_API_VERSION'],
  keyRequired: true,
  auth: { kind: 'header', name: 'api-key' },
  join: {},
  joinExamples: [
    [
      'https://r.openai.azure.com',
      'openai/deployments/gpt4o/chat/completions?api-version=2024-10-21',
      'https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21',
    ],
  ],
  model: 'path',
  endpoints: ['chat/completions', 'completions', 'embeddings', 'audio/transcriptions', 'openai/v1/responses'],
  expandEndpoint: expandAzureEndpoint,
  modelInBody: (endpoint) => endpoint.replace(/^\/+/, '').startsWith('openai/v1/'),
  // The resource's model catalogue, not its deployments: reachability and the key are checked, the name cannot be.
  listModels: { path: 'openai/models', ids: openAiModelIds, isServed: () => undefined },
  // The v1 API's list (OpenAI's SDK at `<resource>/openai/v1`) names deployments, which aliases stand for.
  aliasLists: [{ path: 'openai/v1/models', answer: openAiAliasList }],
};
