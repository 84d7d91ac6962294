import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLlmpassError, RateLimitedError } from '../errors.ts';
import type { AccessLog } from './access-log.ts';
import { sendProxyError } from './answers.ts';
import { KeyDeniedError, sendDenial } from '../keys/proxy-gate.ts';
import type { ProxyMetrics, RequestRecord } from './metrics.ts';

/**
 * Runs one request's failure handling; if that fails too (a header Node refuses, a socket already gone), the
 * request ends with its connection destroyed and a log line. One request's trouble never reaches the process.
 */
export function endRequest(res: ServerResponse, log: AccessLog, answer: () => void): void {
  try {
    answer();
  } catch (error) {
    res.destroy();
    log.error({ err: error }, 'failed to answer a failed request');
  }
}

/**
 * A failed request's answer: a typed error as its status and code (OpenAI's error shape), anything else as a
 * logged 500. An aborted request (its client gone, or cut off as silent) gets no answer: its connection goes.
 */
export function answerFailure(error: unknown, req: IncomingMessage, res: ServerResponse, record: RequestRecord, aborted: boolean, metrics: ProxyMetrics, log: AccessLog): void {
  // Aborted: the reason the abort gave (the client gone, silent) stands; the upstream's "aborted" that follows is
  // only its echo, and may come after the close (the access line is written a turn later).
  if (aborted) {
    record.error ??= (error as Error)?.message;
    return void res.destroy();
  }
  record.error = (error as Error)?.message;
  // Answered before the client's body is all in: close after the answer rather than read the rest.
  if (!req.complete) res.shouldKeepAlive = false;
  if (error instanceof KeyDeniedError) return sendDenial(res, error.denial);
  if (isLlmpassError(error)) {
    if (error.httpStatus >= 502) metrics.upstreamFailure(record.provider || 'none', error.code);
    if (error instanceof RateLimitedError && !res.headersSent) res.setHeader('retry-after', String(error.retryAfterSeconds));
    return sendProxyError(res, error.httpStatus, error.message, error.code.toLowerCase());
  }
  sendProxyError(res, 500, 'internal error', 'internal_error');
  log.error({ err: error }, 'unexpected error');
}

/** A client silent for `seconds` while sending its body: 408, and its connection closed without reading the rest. */
export function answerSilentClient(res: ServerResponse, record: RequestRecord, seconds: number, controller: AbortController): void {
  record.error = `the client sent no body bytes for ${seconds}s`;
  controller.abort();
  if (res.headersSent) return void res.destroy();
  // Not kept alive: Node closes the connection once the 408 is out, without reading the rest.
  res.shouldKeepAlive = false;
  sendProxyError(res, 408, `the request body stopped arriving for ${seconds}s (--client-timeout)`, 'client_timeout');
  record.status = 408;
}
