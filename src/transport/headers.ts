import type { HeaderInput } from '../core/request.ts';
import { ConfigError, UsageError } from '../errors.ts';

/** Headers that describe one connection, not the message: never copied from a caller or an upstream. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\u0000]/;

/**
 * Header names are tokens and values carry no CR, LF or NUL: no header injection from any source. A caller's
 * mistake is a UsageError; a deployment's (a header from the config or its environment) is a ConfigError.
 */
export function checkHeader(name: string, value: string, from: string, Fault: typeof UsageError | typeof ConfigError = UsageError): void {
  if (!TOKEN.test(name)) throw new Fault(`${from}: "${JSON.stringify(name).slice(1, -1)}" is not a valid header name`);
  if (BAD_VALUE.test(value)) throw new Fault(`${from}: the value of header "${name}" contains CR, LF or NUL`);
}

/** Normalises every accepted header shape into lower-case [name, value] pairs. */
export function headerPairs(input: HeaderInput | undefined): Array<[string, string]> {
  if (!input) return [];
  const pairs: Array<[string, string]> = [];
  // No `instanceof Headers`: touching that global loads Node's internal fetch machinery.
  const entries: Iterable<[string, unknown]> =
    Array.isArray(input) || Symbol.iterator in (input as object)
      ? (input as Iterable<[string, string]>)
      : Object.entries(input as Record<string, unknown>);
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    for (const one of Array.isArray(value) ? value : [value]) pairs.push([name.toLowerCase(), String(one)]);
  }
  return pairs;
}

/** Media types whose body is JSON: `application/json`, with parameters, and `+json` suffixes. */
export function isJsonMediaType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Event streams (SSE, AWS's binary event stream): answers whose events may be long in coming after the headers. */
export function isEventStream(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.trimStart().slice(0, 40).toLowerCase();
  return type.startsWith('text/event-stream') || type.startsWith('application/vnd.amazon.eventstream');
}

/**
 * Every header a client SDK may carry a key in: `Authorization` (OpenAI), `x-api-key` (Anthropic), `api-key`
 * (Azure), `x-goog-api-key` (Gemini), `x-llmpass-api-key` / `x-litellm-api-key` (clients whose SDK owns the others,
 * as the AWS SDK signs Authorization itself). None of them, nor cookies, ever go upstream.
 */
export const CLIENT_CREDENTIAL_HEADERS = new Set([
  'authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'x-llmpass-api-key',
  'x-litellm-api-key',
  'cookie',
  'proxy-authorization',
  // A client's AWS session token (the AWS SDK signs with its own credentials): a credential, never forwarded.
  'x-amz-security-token',
]);
