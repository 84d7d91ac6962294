import { AbortedError, LlmpassError, NetworkError, UpstreamTimeoutError } from '../errors.ts';
import { displayUrl } from './url.ts';

/**
 * The typed failures of an exchange, made where they arise: both HTTP clients reject and fail `reply.body` only
 * with these, so whoever reads an answer (a command, a batch line, a probe, a library user) never translates.
 */

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
  HPE_INVALID_CHUNK_SIZE: 'the server broke the chunked framing of its answer',
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

/** `[POST] "url"` for a message, credential-like query values masked. */
export function describeTarget(request: { method: string; url: URL }, shownUrl = displayUrl(request.url)): string {
  return `[${request.method}] "${shownUrl}"`;
}

/** A caller's own reason (`abort(new Error('client gone'))`) is kept; the runtime's generic one is not. */
function abortReason(error: unknown, signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.aborted ? signal.reason : error;
  return reason instanceof Error && reason.name !== 'AbortError' && reason.message ? ` (${reason.message})` : '';
}

/**
 * Turns whatever failed an exchange into one typed error a person can act on, keeping the cause: before the
 * headers (`phase: 'connect'`) or after them (`'body'`, the answer cut short).
 */
export function transportError(error: unknown, target: string, phase: 'connect' | 'body', signal?: AbortSignal): LlmpassError {
  if (error instanceof LlmpassError) return error;
  if (signal?.aborted || (error as Error)?.name === 'AbortError') return new AbortedError(`${target}: aborted${abortReason(error, signal)}`, { cause: error });
  const code = causeCode(error);
  const known = code ? NETWORK_CODES[code] : undefined;
  const reason = known ? `${known} (${code})` : (code ?? (error as Error)?.message ?? String(error));
  const tail = phase === 'body' ? '; the response was cut short' : '';
  return new NetworkError(`${target}: ${reason}${tail}`, { cause: error });
}

export function upstreamTimeout(target: string, phase: 'headers' | 'body', timeoutMs: number): UpstreamTimeoutError {
  // The fix (raise the timeout) is data: each face words it its own way.
  return phase === 'headers'
    ? new UpstreamTimeoutError(`${target}: no answer within ${timeoutMs / 1000}s`, { remedy: 'timeout' })
    : new UpstreamTimeoutError(`${target}: the response went silent for ${timeoutMs / 1000}s and was cut`);
}

/** The longest delay a Node or undici timer holds (2^31 - 1 ms, ~24.8 days); longer ones would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The delay to arm for a timeout, or undefined for none: a timeout past what a timer holds (`timeout: 99999999`,
 * meant as "never") is taken as no timeout, in both clients, rather than overflowing into an immediate one.
 */
export function timerDelay(timeoutMs: number): number | undefined {
  return timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS ? timeoutMs : undefined;
}
