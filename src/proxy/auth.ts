import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/load.ts';
import { resolveEnvValue } from '../config/env.ts';
import type { Secret } from '../secret.ts';

// Where client keys travel: in transport/ so that masking a logged call's headers does not load this module's crypto.
export { CLIENT_CREDENTIAL_HEADERS } from '../transport/headers.ts';

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

export type KeyCheck = (headers: IncomingHttpHeaders, queryKey: string | null) => boolean;

/**
 * A request is authenticated when any credential header (or `?key=`) carries the master key, whatever the
 * others carry: the Vertex and AWS SDKs put their own token in Authorization and the key elsewhere.
 * Compared in constant time for a candidate of the key's length (only the length can be learnt by timing).
 */
export function masterKeyCheck(masterKey: Secret): KeyCheck {
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

/** `?key=` authenticates Gemini's SDK; it is read and removed, never forwarded. The rest stays byte for byte. */
export function takeQueryKey(search: string): { key: string | null; rest: string } {
  if (!search.includes('key')) return { key: null, rest: search };
  let key: string | null = null;
  const kept: string[] = [];
  for (const part of search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // a malformed name is not `key`
    }
    if (decoded === 'key') {
      const raw = eq === -1 ? '' : part.slice(eq + 1);
      try {
        key = decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        key = raw;
      }
    } else kept.push(part);
  }
  return { key, rest: kept.length ? `?${kept.join('&')}` : '' };
}

/** Resolves the master key: general_settings.master_key (os.environ/VAR allowed), else LLMPASS_MASTER_KEY. */
export function resolveMasterKey(config: Config): string | undefined {
  const configured = config.raw.general_settings?.master_key;
  if (configured) return resolveEnvValue(configured, { key: 'general_settings.master_key', file: config.filepath }, config.env).value;
  return config.env('LLMPASS_MASTER_KEY') || undefined;
}
