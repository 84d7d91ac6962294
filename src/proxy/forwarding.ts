import type { ServerResponse } from 'node:http';
import { NetworkError, UsageError } from '../errors.ts';
import { HOP_BY_HOP, isEventStream } from '../transport/headers.ts';
import { discardReply, replyHeader } from '../transport/reply.ts';
import type { UpstreamReply } from '../core/reply.ts';
import { CLIENT_CREDENTIAL_HEADERS } from './auth.ts';
import { maskedAnswer } from '../transport/masked-reply.ts';
import type { RequestRecord } from './metrics.ts';
import type { Secret } from '../secret.ts';
import { deploymentSecrets } from '../router/deployment.ts';
import type { Deployment } from '../core/deployment.ts';
import { listenWith, type BodyTap } from '../accounting/observe.ts';

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

/** Writes the answer's head; a header Node will not write (a byte it refuses) is a NetworkError, `res` left clean. */
function writeHead(reply: UpstreamReply, res: ServerResponse, headers: string[]): void {
  try {
    res.writeHead(reply.status, reply.statusText || undefined, headers);
  } catch (error) {
    // 502 saying so (the caller's error answer), with none of the upstream's headers left on `res`.
    discardReply(reply);
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    throw new NetworkError(`the upstream's answer cannot be relayed: ${(error as Error).message}`);
  }
}

/**
 * Relays the upstream's answer: its status and headers, then its body. A 2xx streams as it comes. Anything else
 * may echo what the proxy added (a key, a header token, the api_base's `?code=`): it goes with the credentials of
 * the deployment that answered masked.
 */
export function relayReply(reply: UpstreamReply, res: ServerResponse, record: RequestRecord, started: number, answered?: Deployment, tap?: BodyTap): Promise<void> {
  if (answered && reply.status >= 300) {
    // Read whole to be masked: the tap follows that reading with listeners of its own.
    if (tap) listenWith(reply, tap);
    return relayMasked(reply, res, record, started, [...deploymentSecrets(answered), ...(reply.signedCredentials ?? [])]);
  }
  record.ttfbMs = performance.now() - started;
  const head = () => {
    writeHead(reply, res, forwardedResponseHeaders(reply.headers));
    record.status = reply.status;
  };
  // An event stream's head goes at once: its client opens the stream on it, and the first event may be long coming.
  // When the first event came with the head (it usually does), both go in one write, as any other answer's do.
  if (!isEventStream(replyHeader(reply, 'content-type')) || reply.body.readableLength > 0) return relayBody(reply, res, record, head, tap);
  head();
  res.flushHeaders();
  return relayBody(reply, res, record, undefined, tap);
}

const BODYLESS_STATUS = new Set([204, 304]);

async function relayMasked(reply: UpstreamReply, res: ServerResponse, record: RequestRecord, started: number, secrets: readonly Secret[]): Promise<void> {
  record.ttfbMs = performance.now() - started;
  const answer = await maskedAnswer(reply, secrets, res.req.method === 'HEAD' || BODYLESS_STATUS.has(reply.status));
  writeHead(reply, res, forwardedResponseHeaders(answer.headers));
  record.status = reply.status;
  if (answer.note) record.error = answer.note;
  res.end(answer.body);
}

/**
 * Sends the upstream body to the client with backpressure (stream.pipeline costs an AbortController and a
 * DOMException per response, measurable at proxy rates). `head` (the status and headers) goes with the first chunk
 * or the end, so a body that fails before its first byte rejects with its typed error: the caller answers 502 or
 * 504 in place of an empty 200. Once anything is out, a body cut short reaches the client as a broken response,
 * never as a clean end (one cut before its first byte is recorded as 502); a client that goes away stops the upstream body.
 */
function relayBody(reply: UpstreamReply, res: ServerResponse, record: RequestRecord, head: (() => void) | undefined, tap: BodyTap | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = reply.body;
    let pendingHead = head;
    let sent = false;
    const begin = (): boolean => {
      if (!pendingHead) return true;
      const write = pendingHead;
      pendingHead = undefined;
      try {
        write();
        return true;
      } catch (error) {
        stop();
        reject(error as Error);
        return false;
      }
    };
    // The drain listener only while the client's side is full: most answers never fill it.
    let draining = false;
    const onDrain = () => {
      draining = false;
      body.resume();
    };
    const onData = (chunk: Buffer) => {
      if (!begin()) return;
      sent = true;
      const more = res.write(chunk);
      tap?.see(chunk);
      if (more || draining) return;
      body.pause();
      draining = true;
      res.once('drain', onDrain);
    };
    const onEnd = () => {
      if (!begin()) return;
      res.end();
      // The body has ended: its row is built now, as a listener to its close would have, not once the client has it all.
      tap?.closed();
    };
    const onError = (error: Error) => {
      if (pendingHead) {
        stop();
        return reject(error);
      }
      record.error = error.message;
      // Only the head went out (an event stream's): no answer came, whatever its status said.
      if (!sent) record.status = 502;
      res.destroy();
      resolve();
    };
    const onClose = () => {
      stop();
      if (!body.readableEnded) body.destroy();
      resolve();
    };
    const stop = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      res.off('drain', onDrain);
      res.off('close', onClose);
      // Later errors (a destroyed body) must not go unhandled.
      body.on('error', () => undefined);
      // Every way the relay ends comes through here: the body has ended, failed, or is being left.
      tap?.closed();
    };
    // on(), not once(): each is emitted once at most and stop() removes them, and once() wraps each listener.
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    res.on('close', onClose);
  });
}
