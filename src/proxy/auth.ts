import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Secret } from '../secret.ts';

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

const KEY_HEADERS = ['authorization', 'x-llmpass-api-key', 'x-litellm-api-key', 'x-api-key', 'api-key', 'x-goog-api-key'] as const;

/** Every credential a request carries, in the order the headers are trusted (`?key=` last). */
export function keyCandidates(headers: IncomingHttpHeaders, queryKey: string | null): string[] {
  const found: string[] = [];
  for (const name of KEY_HEADERS) {
    const value = headers[name];
    if (typeof value !== 'string' || value === '') continue;
    found.push(value.replace(/^Bearer\s+/i, '').trim());
  }
  if (queryKey) found.push(queryKey);
  return found;
}

/**
 * A request is authenticated when any credential header (or `?key=`) carries the master key, whatever the
 * others carry: the Vertex and AWS SDKs put their own token in Authorization and the key elsewhere.
 * Compared in constant time for a candidate of the key's length (only the length can be learnt by timing).
 */
export function masterKeyCheck(masterKey: Secret): (headers: IncomingHttpHeaders, queryKey: string | null) => boolean {
  const expected = Buffer.from(masterKey.reveal());
  return (headers, queryKey) => {
    let ok = false;
    for (const candidate of keyCandidates(headers, queryKey)) {
      const given = Buffer.from(candidate);
      if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
    }
    return ok;
  };
}
