import type { ServerResponse } from 'node:http';
import { NetworkError, UsageError } from '../errors.ts';
import { HOP_BY_HOP } from '../transport/headers.ts';
import { discardReply } from '../transport/reply.ts';
import type { UpstreamReply } from '../core/reply.ts';
import { CLIENT_CREDENTIAL_HEADERS } from './auth.ts';
import type { RequestRecord } from './metrics.ts';

/** Names listed in a `Connection` header are hop-by-hop too (`Connection: x-api-key` must not smuggle one through). */
function connectionNamed(raw: string[]): Set<string> {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1]!.split(',')) named.add(token.trim().toLowerCase());
  }
  return named;
}

/**
 * The client's end-to-end headers that go upstream: no hop-by-hop header, no credential, no host or length. Two
 * different content-types are refused: the proxy judges the body by one (Node keeps the first) and the upstream
 * might read the other; the same one repeated goes once.
 */
export function forwardedRequestHeaders(raw: string[]): Array<[string, string]> {
  const named = connectionNamed(raw);
  const out: Array<[string, string]> = [];
  let contentType: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || CLIENT_CREDENTIAL_HEADERS.has(name) || named.has(name)) continue;
    if (name === 'content-type') {
      if (contentType !== undefined && contentType !== raw[i + 1]) throw new UsageError('the request has two different content-type headers: send one');
      if (contentType !== undefined) continue;
      contentType = raw[i + 1]!;
    }
    out.push([name, raw[i + 1]!]);
  }
  return out;
}

const RESPONSE_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate']);

/**
 * The upstream's end-to-end headers for the client (content-length and content-encoding kept: bytes are
 * untouched), flat as `writeHead` takes them.
 */
function forwardedResponseHeaders(headers: Array<[string, string]>): string[] {
  let named: Set<string> | undefined;
  for (const [name, value] of headers) if (name === 'connection') for (const t of value.split(',')) (named ??= new Set()).add(t.trim().toLowerCase());
  const out: string[] = [];
  for (const [name, value] of headers) if (!RESPONSE_HOP_BY_HOP.has(name) && !named?.has(name)) out.push(name, value);
  return out;
}

/**
 * Relays the upstream's answer: its status and headers, then its body. A header Node will not write (a byte it
 * refuses) fails the request with a NetworkError before anything of the answer is out.
 */
export function relayReply(reply: UpstreamReply, res: ServerResponse, record: RequestRecord, started: number): Promise<void> {
  try {
    res.writeHead(reply.status, reply.statusText || undefined, forwardedResponseHeaders(reply.headers));
  } catch (error) {
    // 502 saying so (the caller's error answer), with none of the upstream's headers left on `res`.
    discardReply(reply);
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    throw new NetworkError(`the upstream's answer cannot be relayed: ${(error as Error).message}`);
  }
  record.status = reply.status;
  record.ttfbMs = performance.now() - started;
  return relayBody(reply, res, record);
}

/**
 * Pipes the upstream body to the client with backpressure. (stream.pipeline costs an AbortController and a
 * DOMException per response, measurable at proxy rates.) A body cut short reaches the client as a broken
 * response, never as a clean end; a client that goes away stops the upstream body.
 */
function relayBody(reply: UpstreamReply, res: ServerResponse, record: RequestRecord): Promise<void> {
  return new Promise((resolve) => {
    const body = reply.body;
    const fail = (error: Error) => {
      record.error = error.message;
      res.destroy();
      resolve();
    };
    body.once('error', fail);
    res.once('close', () => {
      if (!body.readableEnded) body.destroy();
      resolve();
    });
    body.pipe(res);
  });
}
