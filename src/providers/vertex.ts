import { vertexUsage } from './usage-readers.ts';
import { environmentSettings } from '../config/provider-settings.ts';
import { anthropicStreamText, geminiStreamText } from './stream-text.ts';
import { judgeVertexProbe } from './cloud-probes.ts';
import type { ProviderSpec } from './types.ts';
import {
  expandVertexEndpoint,
  replaceVertexPathModel,
  vertexHost,
  vertexLocation,
  vertexModelFromPath,
  vertexParamsFromPath,
  vertexProject,
  vertexPublisher,
} from './vertex-paths.ts';

const PROBE_BODIES: Record<string, unknown> = {
  // Partner models: an empty request, refused as invalid before anything is generated.
  anthropic: { anthropic_version: 'vertex-2023-10-16', max_tokens: 1, messages: [] },
};

/**
 * Google Vertex AI: Google's and partners' models (Anthropic, Mistral) by project, location and publisher in the
 * path, an OAuth2 access token from a service-account key or Application Default Credentials (google-auth-library,
 * loaded only when a request is signed).
 */
export const vertexAi: ProviderSpec = {
  id: 'vertex_ai',
  // Gemini's stream, or Claude's on Vertex (streamRawPredict), which is Anthropic's.
  streamText: (data, eventType) => geminiStreamText(data, eventType) ?? anthropicStreamText(data, eventType),
  usage: vertexUsage,
  aliases: ['vertex-ai'],
  label: 'Google Vertex AI',
  pricesProvider: 'google',
  routePrefix: '/vertex_ai',
  // The host follows the location (apiBaseFrom); this is LiteLLM's default location's.
  defaultApiBase: 'https://us-central1-aiplatform.googleapis.com',
  apiBaseEnv: ['VERTEXAI_API_BASE'],
  apiKeyEnv: [],
  keyRequired: false,
  auth: {
    kind: 'signed',
    scheme: 'Google OAuth2',
    credentialEnv: ['VERTEXAI_CREDENTIALS', 'DEFAULT_GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS'],
    signsBody: false,
    sign: async (request, deployment) => (await import('./signing/google-token.ts')).signVertexRequest(request, deployment),
    curlArgs: () => ['-H', '"Authorization: Bearer $(gcloud auth print-access-token)"'],
  },
  join: {},
  joinExamples: [
    [
      'https://us-central1-aiplatform.googleapis.com',
      'v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent',
      'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent',
    ],
  ],
  model: 'path',
  endpoints: ['generateContent', 'streamGenerateContent?alt=sse', 'countTokens', 'rawPredict', 'streamRawPredict'],
  expandEndpoint: (endpoint, { model, settings }) => expandVertexEndpoint(endpoint, model, settings ?? environmentSettings()),
  modelFromPath: vertexModelFromPath,
  replacePathModel: (endpoint, model, ctx) => replaceVertexPathModel(endpoint, model, ctx?.settings ?? environmentSettings()),
  apiBaseFrom: (settings) => vertexHost(vertexLocation(settings)),
  paramsFromPath: vertexParamsFromPath,
  probe: (deployment) => {
    const settings = deployment.settings;
    const publisher = vertexPublisher(deployment.model);
    const partner = publisher !== 'google';
    const where = { model: deployment.model, project: vertexProject(settings) ?? '(unset)', location: vertexLocation(settings), partner };
    return {
      endpoint: partner ? 'rawPredict' : 'countTokens',
      method: 'POST',
      json: partner ? (PROBE_BODIES[publisher] ?? { messages: [] }) : { contents: [{ role: 'user', parts: [{ text: 'ping' }] }] },
      judge: (answer) => judgeVertexProbe(answer, where),
    };
  },
};
