import { Readable } from 'node:stream';
import { constants, brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { maskSecret, maskSecretBytes, type Secret } from '../secret.ts';
import { readUpTo } from './read-whole.ts';
import { discardReply, NULL_BODY_STATUS } from './reply.ts';
import type { UpstreamReply } from '../core/reply.ts';

/**
 * The most of a non-2xx body read to mask it. Error bodies are a few hundred bytes; past this, the first
 * part is masked and relayed, said to be cut (`x-llmpass-body-cut`), and the rest dropped: streamed on unmasked, it
 * could carry the credential the upstream echoes.
 */
export const MAX_MASKED_BODY_BYTES = 64 * 1024;

/** Codings an error body can be read through (the client's accept-encoding goes upstream; undici does not decode). */
const DECODERS: Record<string, (bytes: Buffer, options: object) => Buffer> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

export interface MaskedAnswer {
  /** The upstream's headers with every secret masked; length and coding set for `body`. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** Why the body is not all the upstream's, when it is not. */
  note?: string;
}

/** A body read whole, or its first part when cut, decoded when coded; undefined when it cannot be read as text. */
function decoded(bytes: Buffer, coding: string | undefined, cut: boolean): Buffer | undefined {
  if (!coding || coding === 'identity') return bytes;
  const decode = DECODERS[coding];
  if (!decode) return undefined;
  try {
    // A cut body is decoded as far as it goes; one that inflates past the bound is not read further.
    return decode(bytes, { maxOutputLength: MAX_MASKED_BODY_BYTES, ...(cut ? { finishFlush: coding === 'br' ? constants.BROTLI_OPERATION_FLUSH : constants.Z_SYNC_FLUSH } : {}) });
  } catch {
    return undefined;
  }
}

/**
 * A non-2xx answer as the client may see it: every credential of the deployment that answered masked in its headers
 * and body (an upstream's 401 may quote the key, a header token or the api_base's `?code=`). The body is read (at
 * most MAX_MASKED_BODY_BYTES), decoded if coded, and sent with its own length; one that cannot be decoded is
 * withheld, saying so. A body that fails while read fails the request before anything is out (a 502).
 */
export async function maskedAnswer(reply: UpstreamReply, secrets: readonly Secret[], bodyless: boolean): Promise<MaskedAnswer> {
  const headers: Array<[string, string]> = [];
  let coding: string | undefined;
  for (const [name, value] of reply.headers) {
    if (name === 'content-encoding') coding = value.trim().toLowerCase();
    else if (name !== 'content-length' || bodyless) headers.push([name, maskSecret(value, secrets)]);
  }
  if (bodyless) {
    discardReply(reply);
    if (coding) headers.push(['content-encoding', coding]);
    return { headers, body: Buffer.alloc(0) };
  }
  const { bytes, cut } = await readUpTo(reply.body, MAX_MASKED_BODY_BYTES);
  if (cut) discardReply(reply);
  const text = decoded(bytes, coding, cut);
  if (!text) {
    const body = Buffer.from(`llmpass withheld the upstream's ${reply.status} body: its content-encoding "${coding}" cannot be checked for credentials\n`);
    return { headers: [...headers.filter(([name]) => name !== 'content-type'), ['content-type', 'text/plain; charset=utf-8'], ['content-length', String(body.length)]], body, note: `the upstream's ${reply.status} body (${coding}) was withheld` };
  }
  const body = maskSecretBytes(text, secrets, cut);
  headers.push(['content-length', String(body.length)]);
  if (!cut) return { headers, body };
  headers.push(['x-llmpass-body-cut', `${body.length} bytes relayed; the upstream's body was longer`]);
  return { headers, body, note: `the upstream's ${reply.status} body was over ${MAX_MASKED_BODY_BYTES} bytes: cut to mask credentials` };
}

/**
 * What `call` and a batch line print of an answer: a 2xx as it came (its body streams, byte for byte); anything else
 * with the credentials of the deployment that answered masked, as the proxy relays it (a 401 quoting the key would
 * otherwise land in a terminal's scrollback or a CI log). `note` says when the body is not all the upstream's.
 */
export async function maskedErrorReply(reply: UpstreamReply, secrets: readonly Secret[], method: string | undefined): Promise<{ reply: UpstreamReply; note?: string | undefined }> {
  if (reply.status < 300) return { reply };
  const bodyless = method?.toUpperCase() === 'HEAD' || NULL_BODY_STATUS.has(reply.status);
  const answer = await maskedAnswer(reply, [...secrets, ...(reply.signedCredentials ?? [])], bodyless);
  const masked: UpstreamReply = { status: reply.status, statusText: reply.statusText, headers: answer.headers, body: Readable.from([answer.body], { objectMode: false }) };
  return { reply: masked, note: answer.note };
}
