import { AbortedError, LlmpassError, NetworkError, UpstreamTimeoutError } from '../errors.ts';
import type { UpstreamRequest } from './request.ts';
import { revealHeaders } from './request.ts';
import { displayUrl } from './url.ts';

export type FetchLike = (input: string, init: RequestInit & { duplex?: 'half' }) => Promise<Response>;

export interface SendOptions {
  /** Aborts the upstream request (Ctrl-C, a client that went away). */
  signal?: AbortSignal | undefined;
  /** Bounds connecting and waiting for headers, and then each silence between body chunks. */
  timeoutMs?: number | undefined;
  /** The HTTP client; Node's own fetch unless a pooled one is handed in. */
  fetch?: FetchLike | undefined;
  /** Called once when the exchange is over: the body ended, failed or was cancelled, or sending failed. */
  onSettled?: (() => void) | undefined;
}

export const DEFAULT_TIMEOUT_MS = 600_000;

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

function where(request: UpstreamRequest): string {
  return `[${request.method}] "${displayUrl(request.url)}"`;
}

/** Turns whatever fetch threw into one typed error a person can act on, keeping the cause. */
function describeFailure(error: unknown, request: UpstreamRequest, phase: 'connect' | 'body'): LlmpassError {
  if (error instanceof LlmpassError) return error;
  const code = causeCode(error);
  const reason = (code && NETWORK_CODES[code]) ?? (code ? `${code}` : ((error as Error)?.message ?? String(error)));
  const tail = phase === 'body' ? ' (the response was cut short)' : '';
  return new NetworkError(`${where(request)}: ${reason}${code && NETWORK_CODES[code] ? ` (${code})` : ''}${tail}`, { cause: error });
}

function toFetchBody(request: UpstreamRequest): BodyInit | undefined {
  const body = request.body;
  if (!body) return undefined;
  if (body.kind === 'bytes') return body.bytes as Uint8Array<ArrayBuffer>;
  if (body.kind === 'form') return body.form;
  return body.stream;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * Sends the request and answers with a web Response whose body streams as it arrives. Any HTTP answer is
 * returned, not thrown; a failure to connect, a reset or a timeout throws a typed error, and so does a body
 * that stops early or goes silent for longer than the timeout, so a cut body never looks complete.
 */
export async function sendUpstream(request: UpstreamRequest, options: SendOptions = {}): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const timeoutError = () => new UpstreamTimeoutError(`${where(request)}: no answer within ${timeoutMs / 1000}s (raise --timeout or litellm_params.timeout)`);
  const abortedError = () => new AbortedError(`${where(request)}: aborted`);
  let timedOut = false;
  let timer = setTimeout(() => {
    timedOut = true;
    controller.abort(timeoutError());
  }, timeoutMs);

  let response: Response;
  try {
    const send = options.fetch ?? (globalThis.fetch as FetchLike);
    const init: RequestInit & { duplex?: 'half' } = {
      method: request.method,
      headers: revealHeaders(request.headers),
      body: toFetchBody(request),
      signal,
      redirect: 'manual',
    };
    if (request.body?.kind === 'stream') init.duplex = 'half';
    response = await send(request.url.href, init);
  } catch (error) {
    clearTimeout(timer);
    options.onSettled?.();
    if (timedOut) throw timeoutError();
    if (options.signal?.aborted) throw abortedError();
    throw describeFailure(error, request, 'connect');
  }
  clearTimeout(timer);

  const upstream = response.body;
  if (!upstream || NULL_BODY_STATUS.has(response.status)) {
    options.onSettled?.();
    return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
  }
  const reader = upstream.getReader();
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new UpstreamTimeoutError(`${where(request)}: the response went silent for ${timeoutMs / 1000}s and was cut`));
    }, timeoutMs);
  };
  const body = new ReadableStream<Uint8Array>({
    start: idle,
    async pull(stream) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          clearTimeout(timer);
          options.onSettled?.();
          stream.close();
        } else {
          idle();
          stream.enqueue(value);
        }
      } catch (error) {
        clearTimeout(timer);
        options.onSettled?.();
        if (timedOut) stream.error(new UpstreamTimeoutError(`${where(request)}: the response went silent for ${timeoutMs / 1000}s and was cut`));
        else if (options.signal?.aborted) stream.error(abortedError());
        else stream.error(describeFailure(error, request, 'body'));
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      options.onSettled?.();
      controller.abort(reason);
      return reader.cancel(reason).catch(() => undefined);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
