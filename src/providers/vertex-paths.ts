import { firstEnv } from '../config/env.ts';
import { UsageError } from '../errors.ts';
import { credentialProject } from './signing/google-credentials.ts';
import type { ProviderSettings } from './types.ts';

/** Where no setting or variable names a location (LiteLLM's default). */
export const DEFAULT_VERTEX_LOCATION = 'us-central1';

/** The publisher serving a model, as LiteLLM infers it from the name; Google's unless it is a partner's. */
export function vertexPublisher(model: string): string {
  if (/^claude/.test(model)) return 'anthropic';
  if (/^(mistral|codestral|ministral)/.test(model)) return 'mistralai';
  if (/^jamba/.test(model)) return 'ai21';
  return 'google';
}

export function vertexLocation(settings: ProviderSettings): string {
  return settings.text('vertex_location') ?? firstEnv(['VERTEXAI_LOCATION', 'DEFAULT_VERTEXAI_LOCATION'], settings.env)?.value ?? DEFAULT_VERTEX_LOCATION;
}

/** `vertex_project`, LiteLLM's and Google's variables, then the project the service-account key belongs to. */
export function vertexProject(settings: ProviderSettings): string | undefined {
  return (
    settings.text('vertex_project') ??
    firstEnv(['VERTEXAI_PROJECT', 'DEFAULT_VERTEXAI_PROJECT', 'GOOGLE_CLOUD_PROJECT'], settings.env)?.value ??
    credentialProject(settings)
  );
}

/** A location is a host label: nothing else may reach the host name (`x@evil.example#` from a path). */
export const LOCATION = /^[a-z0-9-]+$/;

/** `global` has no regional prefix; every other location has its own host (and the path repeats it). */
export function vertexHost(location: string): string {
  if (!LOCATION.test(location)) throw new UsageError(`"${location}" is not a Vertex AI location (e.g. us-central1, europe-west4, global)`);
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

/** A model id as a path segment: encoded, but a version's `@` kept as Google writes it (`claude-…@20241022`). */
function modelSegment(model: string): string {
  return encodeURIComponent(model).replace(/%40/g, '@');
}

const METHOD_ONLY = /^\/*:?([A-Za-z]+)(\?.*)?$/;

/**
 * A method alone (`generateContent`, `rawPredict`) becomes the full path with the deployment's project, location,
 * publisher and model; `streamGenerateContent` asks for SSE. A full path (LiteLLM's route) is kept as written.
 */
export function expandVertexEndpoint(endpoint: string, model: string, settings: ProviderSettings): string {
  const match = METHOD_ONLY.exec(endpoint);
  if (!match) return endpoint;
  const [, method, query = ''] = match;
  const project = vertexProject(settings);
  if (!project) {
    // A usage error: the call (a bare method) needs what the deployment does not say; a full path would do.
    throw new UsageError(`${settings.who} needs a project: set vertex_project, VERTEXAI_PROJECT or GOOGLE_CLOUD_PROJECT, or use a service-account key that names one`);
  }
  const sse = method === 'streamGenerateContent' && !/[?&]alt=/.test(query) ? (query ? '&alt=sse' : '?alt=sse') : '';
  const location = vertexLocation(settings);
  return `v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/${vertexPublisher(model)}/models/${modelSegment(model)}:${method}${query}${sse}`;
}

const PATH_MODEL = /(^|\/)publishers\/([^/]+)\/models\/([^/:?]+)/;
const PATH_PLACE = /(^|\/)projects\/([^/]+)\/locations\/([^/?:]+)/;

export function vertexModelFromPath(endpoint: string): string | undefined {
  const name = PATH_MODEL.exec(endpoint)?.[3];
  if (name === undefined) return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}

/**
 * An alias in the model's place is the deployment's: its model and publisher, and its project and location (its
 * credentials are for that project, and its host is that location's).
 */
export function replaceVertexPathModel(endpoint: string, model: string, settings: ProviderSettings): string {
  const project = vertexProject(settings);
  const location = vertexLocation(settings);
  return endpoint
    .replace(PATH_MODEL, (_m, lead: string) => `${lead}publishers/${vertexPublisher(model)}/models/${modelSegment(model)}`)
    .replace(PATH_PLACE, (whole, lead: string) => (project ? `${lead}projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}` : whole));
}

/** The project and location a proxy path names: a request without an alias goes to that location's host. */
export function vertexParamsFromPath(endpoint: string): Record<string, string> {
  const match = PATH_PLACE.exec(endpoint);
  if (!match || !LOCATION.test(match[3]!)) return {};
  return { vertex_project: match[2]!, vertex_location: match[3]! };
}
