import type { Readable } from 'node:stream';
import { AbortedError, LlmpassError, NetworkError, UpstreamTimeoutError } from '../errors.ts';
import { nodeHttpClient, readableFromWeb, type HttpClient } from './http-client.ts';
import type { UpstreamReply } from './reply.ts';
import { revealHeaders, type UpstreamRequest } from './request.ts';
import { signOutgoing } from './sign.ts';
import { displayUrl } from './url.ts';

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

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused; is the server running and is the api base right?',
  ENOTFOUND: 'host not found; check the api base',
  EAI_AGAIN: 'host name lookup failed; check the api base and the network',
  ECONNRESET: 'the connection was reset by the server',
  EPIPE: 'the connection was closed by the server while sending',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'the connection was closed by the server',
  UND_ERR_CLOSED: 'the connection was closed',
  HPE_INVALID_CONSTANT: 'the server did not answer with HTTP',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the host',
};

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function describeTarget(request: Pick<UpstreamRequest, 'method' | 'url'>): string {
  return `[${request.method}] "${displayUrl(request.url)}"`;
}

/**
 * Turns whatever a client threw into one typed error a person can act on, keeping the cause. Used for failures
 * before the headers and, by whoever reads the body, for failures after them (`phase: 'body'`).
 */
export function transportError(error: unknown, target: string, phase: 'connect' | 'body', signal?: AbortSignal): LlmpassError {
  if (error instanceof LlmpassError) return error;
  if (signal?.aborted || (error as Error)?.name === 'AbortError') return new AbortedError(`${target}: aborted`, { cause: error });
  const code = causeCode(error);
  const known = code ? NETWORK_CODES[code] : undefined;
  const reason = known ? `${known} (${code})` : (code ?? (error as Error)?.message ?? String(error));
  const tail = phase === 'body' ? '; the response was cut short' : '';
  return new NetworkError(`${target}: ${reason}${tail}`, { cause: error });
}

function outgoingBody(request: UpstreamRequest): { body: Uint8Array | Readable | undefined; contentType?: string } {
  const body = request.body;
  if (!body) return { body: undefined };
  if (body.kind === 'bytes') return { body: body.bytes };
  if (body.kind === 'stream') return { body: body.stream instanceof ReadableStream ? readableFromWeb(body.stream) : body.stream };
  // Multipart needs a boundary; the web Response encoder makes one and streams file parts from disk.
  const encoded = new Response(body.form);
  return { body: readableFromWeb(encoded.body!), contentType: encoded.headers.get('content-type') ?? undefined };
}

/**
 * Sends the request and resolves with the reply once headers arrive; the body then streams. Any HTTP answer
 * is a reply, not an error; failing to connect, a reset or a timeout rejects with a typed error.
 */
export async function sendUpstream(request: UpstreamRequest, options: SendOptions = {}): Promise<UpstreamReply> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const target = describeTarget(request);
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
    const unsigned = { method: request.method, url: request.url, headers, body };
    // (awaited only when the provider signs: a plain request goes out without another turn of the microtask queue)
    const outgoing = request.deployment.provider.auth.kind === 'signed' ? await signOutgoing(request, unsigned) : unsigned;
    const reply = await (options.client ?? nodeHttpClient)(
      outgoing,
      {
        signal,
        timeoutMs,
        onTimeout: (phase) =>
          phase === 'headers'
            ? new UpstreamTimeoutError(`${target}: no answer within ${timeoutMs / 1000}s`, { remedy: 'timeout' })
            : new UpstreamTimeoutError(`${target}: the response went silent for ${timeoutMs / 1000}s and was cut`),
      },
    );
    reply.body.once('close', settle);
    reply.body.once('error', settle);
    return reply;
  } catch (error) {
    settle();
    throw transportError(error, target, 'connect', options.signal);
  }
}
