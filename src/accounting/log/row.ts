import { closeSync, openSync, readSync } from 'node:fs';
import { CLIENT_CREDENTIAL_HEADERS } from '../../transport/headers.ts';
import type { Usage } from '../usage.ts';

/** Which face of llmpass made the call. */
export type Face = 'call' | 'batch' | 'library' | 'proxy';
export const FACES: readonly Face[] = ['call', 'batch', 'library', 'proxy'];

/** Bodies are kept up to this many bytes each (enough to replay a call); longer ones are cut and flagged. */
export const BODY_CAP = 1024 * 1024;

/** One call as the request log keeps it. Unknown values are null (or undefined tokens), never 0. */
export interface RequestRow {
  id: string;
  /** When the call started, epoch milliseconds. */
  time: number;
  face: Face;
  alias: string | null;
  deployment: string | null;
  provider: string | null;
  /** The model the upstream was asked for. */
  model: string | null;
  method: string;
  endpoint: string;
  /** The final answer's HTTP status; null when none came (then errorCode says why). */
  status: number | null;
  /** An LlmpassError code (`LLMPASS_NETWORK`, ...) when the call failed without an answer or was cut short. */
  errorCode: string | null;
  attempts: number;
  durationMs: number;
  /** Time to the first byte of the answer's body; null when none came. */
  ttfbMs: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  tokens: Usage;
  /** USD; null when the model has no price (unpriced is never 0). */
  cost: number | null;
  /** The virtual key's alias, once keys exist. */
  keyAlias: string | null;
  /** The id of the row this call replays. */
  replayOf: string | null;
  /** Request headers with every credential masked (see maskHeaders). */
  requestHeaders: Array<[string, string]> | null;
  requestBody: Uint8Array | null;
  requestBodyTruncated: boolean;
  responseBody: Uint8Array | null;
  responseBodyTruncated: boolean;
}

/** Header names that carry a secret beyond the known credential headers (`x-goog-user-project` stays). */
const SECRET_NAME = /key|token|secret|auth|signature|session|cookie|password/i;

/** An endpoint safe to store: a query parameter named like a credential (`?key=`, `?token=`) gets `***`. */
export function maskEndpoint(endpoint: string): string {
  const at = endpoint.indexOf('?');
  if (at === -1 || !SECRET_NAME.test(endpoint.slice(at))) return endpoint;
  const query = new URLSearchParams(endpoint.slice(at + 1));
  for (const name of new Set(query.keys())) if (SECRET_NAME.test(name)) query.set(name, '***');
  return `${endpoint.slice(0, at)}?${query.toString().replaceAll('%2A%2A%2A', '***')}`;
}

/** Request headers safe to store: a credential's value becomes `***`, whatever header a client put it in. */
export function maskHeaders(headers: Iterable<readonly [string, string]>): Array<[string, string]> {
  const masked: Array<[string, string]> = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    masked.push([lower, CLIENT_CREDENTIAL_HEADERS.has(lower) || SECRET_NAME.test(lower) ? '***' : value]);
  }
  return masked;
}

/** A body cut to BODY_CAP bytes (no copy when it fits), and whether it was cut. */
export function capBody(body: Uint8Array | string | null | undefined): { body: Uint8Array | null; truncated: boolean } {
  if (body === null || body === undefined) return { body: null, truncated: false };
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes.byteLength <= BODY_CAP) return { body: bytes, truncated: false };
  // A copy, so the queued row does not keep a larger buffer alive.
  return { body: Uint8Array.prototype.slice.call(bytes, 0, BODY_CAP), truncated: true };
}

/**
 * A UUIDv7: time-ordered, so ids sort as calls started and PostgreSQL's index stays compact. Written as text from a
 * pool of random hex digits and the millisecond's hex, kept while it lasts: no buffers per row (a Buffer, a copy and
 * a hex conversion per id were measurable at proxy rates).
 */
export function newRowId(now = Date.now()): string {
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = Math.trunc(now).toString(16).padStart(12, '0').slice(-12);
    stamp = `${stamp.slice(0, 8)}-${stamp.slice(8)}-7`;
  }
  const r = randomHex(19);
  // 8-4-4-4-12: the time's 48 bits, version 7 and 12 random bits, the variant (10xx) and 14 random bits, 48 random bits.
  return `${stamp}${r.slice(0, 3)}-${VARIANT[hexValue(r.charCodeAt(3)) & 3]}${r.slice(4, 7)}-${r.slice(7)}`;
}

let stampedAt = Number.NaN;
let stamp = '';
const hexValue = (code: number): number => (code <= 57 ? code - 48 : code - 87);
/** 8, 9, a or b: the variant's two bits (10) over two random ones. */
const VARIANT = ['8', '9', 'a', 'b'];

/** Random hex digits from a pool refilled 4 KiB of random bytes at a time (a call into the system per row was measurable). */
let hexPool = '';
function randomHex(count: number): string {
  if (hexPool.length < count) {
    const bytes = Buffer.allocUnsafe(4096);
    fillRandom(bytes);
    hexPool = bytes.toString('hex');
  }
  const taken = hexPool.slice(0, count);
  hexPool = hexPool.slice(count);
  return taken;
}

/**
 * The system's generator, read from /dev/urandom where there is one: importing node:crypto costs a one-shot call
 * ~8 ms (it loads ~18 internal modules), more than writing its row. Elsewhere (Windows), node:crypto.
 */
function fillRandom(pool: Buffer): void {
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, pool) === pool.length) return;
    } finally {
      closeSync(fd);
    }
  } catch {
    // No /dev/urandom: below.
  }
  process.getBuiltinModule('node:crypto').randomFillSync(pool);
}
