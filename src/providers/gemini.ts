import { geminiUsage } from './usage-readers.ts';
import { geminiAliasList, geminiModelIds } from './model-lists.ts';
import { geminiStreamText } from './stream-text.ts';
import type { EndpointContext, ProviderSpec } from './types.ts';

const METHOD_ONLY = /^:?([A-Za-z]+)(\?.*)?$/;

/**
 * The model lives in the path (`v1beta/models/{model}:generateContent`), so a bare method name is expanded;
 * a full path is kept as written. The key goes in `x-goog-api-key`, never in `?key=` where logs would keep it.
 */
function expandGeminiEndpoint(endpoint: string, { model }: EndpointContext): string {
  const match = METHOD_ONLY.exec(endpoint.replace(/^\/+/, ''));
  if (!match) return endpoint;
  const [, method, query = ''] = match;
  const sse = method === 'streamGenerateContent' && !/[?&]alt=/.test(query) ? (query ? '&alt=sse' : '?alt=sse') : '';
  return `v1beta/models/${encodeURIComponent(model)}:${method}${query}${sse}`;
}

const PATH_MODEL = /(^|\/)models\/([^/:]+)(:|$)/;

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Bodies that repeat the path's model as `models/<name>` (`batchEmbedContents`' `requests[]`, `countTokens`'
 * `generateContentRequest`, `batchGenerateContent`'s `batch`): the ones naming the alias name the upstream model.
 */
function replaceGeminiBodyModels(json: unknown, alias: string, model: string): unknown {
  if (!isObject(json)) return json;
  const swap = <T>(holder: T): T =>
    isObject(holder) && (holder.model === alias || holder.model === `models/${alias}`) ? ({ ...holder, model: `models/${model}` } as T) : holder;
  const out = { ...swap(json) }; // a copy: the caller's body stays as sent
  if (Array.isArray(out.requests)) out.requests = out.requests.map(swap);
  for (const key of ['generateContentRequest', 'batch']) if (isObject(out[key])) out[key] = swap(out[key]);
  return out;
}

export const gemini: ProviderSpec = {
  id: 'gemini',
  streamText: geminiStreamText,
  usage: geminiUsage,
  label: 'Google AI Studio (Gemini)',
  pricesProvider: 'google',
  routePrefix: '/gemini',
  defaultApiBase: 'https://generativelanguage.googleapis.com',
  apiBaseEnv: ['GEMINI_API_BASE'],
  apiKeyEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  keyRequired: true,
  auth: { kind: 'header', name: 'x-goog-api-key' },
  join: {},
  joinExamples: [
    [
      'https://generativelanguage.googleapis.com',
      'v1beta/models/gemini-2.0-flash:generateContent',
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent',
    ],
    // @google/genai joins `<apiVersion>/<path>` to its base.
    [
      'https://generativelanguage.googleapis.com',
      'v1beta/models/text-embedding-004:batchEmbedContents',
      'https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:batchEmbedContents',
    ],
    ['https://generativelanguage.googleapis.com', 'v1beta/models', 'https://generativelanguage.googleapis.com/v1beta/models'],
  ],
  model: 'path',
  endpoints: ['generateContent', 'streamGenerateContent?alt=sse', 'countTokens', 'embedContent', 'v1beta/models'],
  expandEndpoint: expandGeminiEndpoint,
  modelFromPath: (endpoint) => {
    const name = PATH_MODEL.exec(endpoint)?.[2];
    if (name === undefined) return undefined;
    try {
      return decodeURIComponent(name);
    } catch {
      return undefined; // a malformed escape names no alias; joining the endpoint refuses it
    }
  },
  replaceBodyModels: replaceGeminiBodyModels,
  replacePathModel: (endpoint, model) => endpoint.replace(PATH_MODEL, (_m, lead: string, _name: string, tail: string) => `${lead}models/${encodeURIComponent(model)}${tail}`),
  // 50 models a page unless asked for more (1000 at most).
  listModels: { path: 'v1beta/models?pageSize=1000', ids: geminiModelIds },
  aliasLists: [
    { path: 'v1beta/models', answer: geminiAliasList },
    { path: 'v1/models', answer: geminiAliasList },
  ],
};
