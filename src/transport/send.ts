import type { Readable } from 'node:stream';
import { NetworkError } from '../errors.ts';
import { describeTarget, transportError } from './failure.ts';
import { nodeHttpClient, readableFromWeb, type ClosingBody, type HttpClient } from './http-client.ts';
import { discardReply, usableReason } from './reply.ts';
import { displayRequestUrl, revealHeaders, revealUrl } from './request.ts';
import { signOutgoing } from './sign.ts';
import type { UpstreamReply } from '../core/reply.ts';
import type { UpstreamRequest } from '../core/request.ts';
import { Secret } from '../secret.ts';

export interface SendOptions {
  /** Aborts the upstream request (Ctrl-C, a client that went away). */
  signal?: AbortSignal | undefined;
  /** Bounds connecting and waiting for headers, and then each silence between body chunks. */
  timeoutMs?: number | undefined;
  /** The HTTP client: Node's http by default, a pooled undici client in the proxy. */
  client?: HttpClient | undefined;
  /** Called once when the exchange is over: the body ended, failed or was destroyed, or sending failed. */
  onSettled?: (() => void) | undefined;
}

export const DEFAULT_TIMEOUT_MS = 600_000;

const NEVER = new AbortController().signal;

function outgoingBody(request: UpstreamRequest): { body: Uint8Array | Readable | undefined; contentType?: string } {
  const body = request.body;
  if (!body) return { body: undefined };
  if (body.kind === 'bytes') return { body: body.bytes };
  if (body.kind === 'stream') return { body: body.stream instanceof ReadableStream ? readableFromWeb(body.stream) : body.stream };
  // Multipart needs a boundary; the web Response encoder makes one and streams file parts from disk.
  const encoded = new Response(body.form);
  return { body: readableFromWeb(encoded.body!), contentType: encoded.headers.get('content-type') ?? undefined };
}

/** The header values a signer added or changed: what it computed from the deployment's credentials. */
function signedValues(before: Array<[string, string]>, after: Array<[string, string]>): Secret[] {
  const sent = new Set(before.map(([name, value]) => `${name}\n${value}`));
  return after.filter(([name, value]) => !sent.has(`${name}\n${value}`)).map(([, value]) => new Secret(value));
}

/**
 * Sends the request and resolves with the reply once headers arrive; the body then streams. Any HTTP answer
 * is a reply, not an error; failing to connect, a reset or a timeout rejects with a typed error, and the body
 * fails with one (the client's).
 */
export async function sendUpstream(request: UpstreamRequest, options: SendOptions = {}): Promise<UpstreamReply> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Timeouts are the client's (socket or undici timers); only the caller aborts.
  const signal = options.signal ?? NEVER;
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    options.onSettled?.();
  };
  try {
    const { body, contentType } = outgoingBody(request);
    const headers = revealHeaders(request.headers);
    if (contentType) headers.push(['content-type', contentType]);
    if (request.body?.kind === 'bytes') headers.push(['content-length', String(request.body.bytes.byteLength)]);
    // A stream of known size (a file, a client's upload with content-length) keeps its length: no chunking.
    else if (request.body?.kind === 'stream' && request.body.length !== undefined) headers.push(['content-length', String(request.body.length)]);
    // Last, with everything final: a signed provider's hook signs exactly what is sent.
    const unsigned = { method: request.method, url: revealUrl(request), headers, body };
    // (awaited only when the provider signs: a plain request goes out without another turn of the microtask queue)
    const outgoing = request.deployment.provider.auth.kind === 'signed' ? await signOutgoing(request, unsigned) : unsigned;
    const reply = await (options.client ?? nodeHttpClient)(outgoing, { signal, timeoutMs, target: () => describeTarget(request, displayRequestUrl(request)) });
    if (outgoing !== unsigned) reply.signedCredentials = signedValues(unsigned.headers, outgoing.headers);
    const closing = (reply.body as Partial<ClosingBody>).whenClosed;
    if (closing) closing.call(reply.body, settle);
    else reply.body.once('close', settle);
    // Also the body's error listener of last resort: a failing body never goes unheard (nor ends the process).
    reply.body.on('error', settle);
    // HTTP's statuses are 100-599 (RFC 9110 §15): anything else is not an answer any caller can pass on.
    if (reply.status < 100 || reply.status > 599) {
      discardReply(reply);
      throw new NetworkError(`${describeTarget(request, displayRequestUrl(request))}: the server answered status ${reply.status}, which is not an HTTP status`);
    }
    reply.statusText = usableReason(reply.statusText);
    return reply;
  } catch (error) {
    settle();
    throw transportError(error, describeTarget(request, displayRequestUrl(request)), 'connect', options.signal);
  }
}
