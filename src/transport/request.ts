import { Readable } from 'node:stream';
import { ConfigError, UsageError } from '../errors.ts';
import type { Deployment } from '../core/deployment.ts';
import type { EndpointContext } from '../providers/types.ts';
import type { HeaderValue, PassthroughRequest, QueryInit, UpstreamBody, UpstreamRequest } from '../core/request.ts';
import { toUpstreamBody } from './body.ts';
import { JsonBody, jsonBodyOf } from './json-body.ts';
import { checkHeader, headerPairs, HOP_BY_HOP, isJsonMediaType } from './headers.ts';
import { appendQuery, displayUrl, joinEndpoint } from './url.ts';

function queryPairs(query: QueryInit | undefined): Array<readonly [string, string]> {
  if (!query) return [];
  if (query instanceof URLSearchParams) return [...query.entries()];
  if (Symbol.iterator in (query as object)) return [...(query as Iterable<readonly [string, string]>)];
  const pairs: Array<readonly [string, string]> = [];
  for (const [key, value] of Object.entries(query as Record<string, string | string[]>)) {
    for (const one of Array.isArray(value) ? value : [value]) pairs.push([key, one]);
  }
  return pairs;
}

function modelGoesInBody({ provider }: Deployment, endpoint: string): boolean {
  return provider.modelInBody ? provider.modelInBody(endpoint) : provider.model === 'body';
}

function authHeader(deployment: Deployment): [string, HeaderValue] | undefined {
  const { apiKey, provider } = deployment;
  if (!apiKey) return undefined;
  switch (provider.auth.kind) {
    case 'bearer':
      return ['authorization', { secret: apiKey, prefix: 'Bearer ' }];
    case 'header':
      return [provider.auth.name.toLowerCase(), { secret: apiKey, prefix: '' }];
    case 'none':
    case 'signed':
      // A signed scheme adds its headers when the request is sent (transport/sign.ts).
      return undefined;
  }
}

/** JSON text as a value, for a provider hook that rewrites more than the top-level model (then, and only then, parsed). */
/** Scanned text that never spells the alias has no copy to swap: it is not parsed again for nothing. */
function mayName(json: unknown, alias: string): boolean {
  return !(json instanceof JsonBody) || Buffer.from(json.bytes.buffer, json.bytes.byteOffset, json.bytes.byteLength).includes(alias);
}

function valueOf(json: unknown): unknown {
  return json instanceof JsonBody ? JSON.parse(Buffer.from(json.bytes.buffer, json.bytes.byteOffset, json.bytes.byteLength).toString('utf8')) : json;
}

/** Past this, a spliced JSON body goes as its parts, a stream of known length: copying it whole blocks the event loop. */
const SPLICE_COPY_LIMIT = 8 * 1024 * 1024;

function splicedBody(parts: Uint8Array[]): UpstreamBody {
  if (parts.length === 1) return { kind: 'bytes', bytes: parts[0]! };
  const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
  if (length <= SPLICE_COPY_LIMIT) return { kind: 'bytes', bytes: Buffer.concat(parts, length) };
  return { kind: 'stream', stream: Readable.from(parts, { objectMode: false }), length };
}

/**
 * An alias's deployment serves its own model: an endpoint that names another in its path (Gemini's, Vertex's,
 * Bedrock's `models/{model}`) while the body names the alias would spend the alias's credentials on a model nobody
 * chose it for, past a virtual key's model list and the alias's price. The path may name the alias or the model
 * the deployment serves; anything else is the caller's to settle.
 */
function refuseOtherPathModel(deployment: Deployment, inPath: string, pathAlias: string | undefined, endpoint: string, ctx: EndpointContext): void {
  if (deployment.alias === undefined || inPath === pathAlias || inPath === deployment.model || inPath === pathSpelling(deployment, endpoint, ctx)) return;
  throw new UsageError(`the endpoint names the model "${inPath}", but "${deployment.alias}" serves "${deployment.model}": name one model, in the path or in the body's "model"`);
}

/** The deployment's model as its provider writes it in a path (Bedrock's bare id for `converse/<id>`). */
function pathSpelling(deployment: Deployment, endpoint: string, ctx: EndpointContext): string | undefined {
  const { provider } = deployment;
  if (!provider.replacePathModel) return undefined;
  try {
    return provider.modelFromPath?.(provider.replacePathModel(endpoint, deployment.model, ctx));
  } catch {
    return undefined; // (the request fails on its own account below)
  }
}

/**
 * Builds the upstream request: the endpoint joined to the deployment's base by the provider's rule, headers in
 * order of precedence (provider defaults < config extra_headers < caller < credentials), the JSON body's model
 * swapped. The one place where requests are built, for every face.
 */
export function buildUpstreamRequest(deployment: Deployment, request: PassthroughRequest): UpstreamRequest {
  const { provider } = deployment;
  if (request.json !== undefined && request.body !== undefined) throw new UsageError('give either a JSON body or a raw body, not both');
  const ctx = { model: deployment.model, apiVersion: deployment.apiVersion, settings: deployment.settings };
  // The alias the path and the body's copies may name: the proxy's path alias, or the alias `call` was given (an
  // endpoint written as @google/genai writes it, `models/<alias>:batchEmbedContents`, names it again).
  const pathAlias = request.pathModel ?? deployment.alias;
  const inPath = provider.modelFromPath?.(request.endpoint);
  if (inPath !== undefined) refuseOtherPathModel(deployment, inPath, pathAlias, request.endpoint, ctx);
  const named = pathAlias !== undefined && provider.replacePathModel && inPath === pathAlias ? provider.replacePathModel(request.endpoint, deployment.model, ctx) : request.endpoint;
  const endpoint = provider.expandEndpoint ? provider.expandEndpoint(named, ctx) : named;
  const url = joinEndpoint(deployment.apiBase, endpoint, provider.join);
  appendQuery(url, queryPairs(request.query));

  const headers = new Map<string, HeaderValue>();
  for (const [name, value] of Object.entries(provider.defaultHeaders ?? {})) headers.set(name, value);
  // The api base's userinfo, as curl sends it: any Authorization set below replaces it.
  if (deployment.baseAuth) headers.set('authorization', { secret: deployment.baseAuth, prefix: 'Basic ' });
  for (const [name, secret] of Object.entries(deployment.headers)) {
    checkHeader(name, secret.reveal(), `extra_headers of ${deployment.alias ?? deployment.id}`, ConfigError);
    headers.set(name, { secret, prefix: '' });
  }
  for (const [name, value] of headerPairs(request.headers)) {
    if (HOP_BY_HOP.has(name)) continue;
    checkHeader(name, value, 'header');
    headers.set(name, value);
  }

  let body: UpstreamBody | undefined;
  let replayable = true;
  if (request.json !== undefined) {
    // A provider that repeats the path's model inside the body (Gemini) swaps those copies on the value.
    const value = pathAlias !== undefined && provider.replaceBodyModels && mayName(request.json, pathAlias) ? provider.replaceBodyModels(valueOf(request.json), pathAlias, deployment.model) : request.json;
    const json = jsonBodyOf(value);
    const swap = request.swapModel !== false && modelGoesInBody(deployment, request.endpoint);
    body = splicedBody(swap ? json.partsWithModel(deployment.model) : [json.bytes]);
    replayable = body.kind === 'bytes';
    if (!isJsonMediaType(headerText(headers.get('content-type')))) headers.set('content-type', 'application/json');
  } else if (request.body !== undefined) {
    body = toUpstreamBody(request.body);
    if (body.kind === 'stream' && request.bodyLength !== undefined) body.length = request.bodyLength;
    replayable = body.kind === 'bytes';
    if (body.kind === 'form') {
      // FormData sets its own multipart boundary; a caller's content-type would break it.
      headers.delete('content-type');
      // A multipart `model` field (vLLM's transcriptions) is swapped like a JSON body's.
      if (request.swapModel !== false && modelGoesInBody(deployment, request.endpoint) && body.form.has('model')) {
        const swapped = new FormData();
        for (const [name, value] of body.form) swapped.append(name, name === 'model' ? deployment.model : value);
        body = { kind: 'form', form: swapped };
      }
    }
  }

  const auth = authHeader(deployment);
  if (auth) headers.set(auth[0], auth[1]);

  const method = (request.method ?? (body ? 'POST' : 'GET')).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`"${request.method}" is not an HTTP method`);
  return { method, url, headers, body, replayable, deployment };
}

function headerText(value: HeaderValue | undefined): string | undefined {
  return typeof value === 'object' ? value.prefix + value.secret.reveal() : value;
}

/** Header values as sent: the only place a credential is revealed. */
export function revealHeaders(headers: Map<string, HeaderValue>): Array<[string, string]> {
  return [...headers].map(([name, value]) => [name, headerText(value)!]);
}

/** The URL as sent: the api base's own query (a credential) first, then the endpoint's. */
export function revealUrl(request: Pick<UpstreamRequest, 'url' | 'deployment'>): URL {
  const query = request.deployment.baseQuery;
  if (!query) return request.url;
  const url = new URL(request.url);
  url.search = `${query.reveal()}${url.search ? `&${url.search.slice(1)}` : ''}`;
  return url;
}

/** The URL for a person: the api base's query with its values masked, then the endpoint's, credential-like ones masked. */
export function displayRequestUrl(request: Pick<UpstreamRequest, 'url' | 'deployment'>): string {
  const shown = displayUrl(request.url);
  const query = request.deployment.baseQuery;
  if (!query) return shown;
  const mark = shown.indexOf('?');
  return mark === -1 ? `${shown}?${query.describe()}` : `${shown.slice(0, mark)}?${query.describe()}&${shown.slice(mark + 1)}`;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'proxy-authorization', 'cookie', 'x-llmpass-api-key', 'x-litellm-api-key', 'x-amz-security-token']);

/** Header values for a person: credentials as `$VAR` or `***`, and so is any credential header a caller set. */
export function displayHeaders(headers: Map<string, HeaderValue>): Array<[string, string]> {
  return [...headers].map(([name, value]) => {
    if (typeof value !== 'string') return [name, value.prefix + value.secret.describe()];
    return [name, CREDENTIAL_HEADERS.has(name) ? '***' : value];
  });
}
