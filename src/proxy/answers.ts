import { STATUS_CODES, type ServerResponse } from 'node:http';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  408: 'timeout_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  431: 'request_too_large',
  499: 'client_closed_request',
  500: 'internal_error',
  501: 'invalid_request_error',
  502: 'upstream_error',
  503: 'service_unavailable',
  504: 'timeout_error',
};

/** An answer the proxy makes itself (health, model lists): JSON with its length. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Errors the proxy makes itself, in the shape OpenAI-style clients parse: {"error": {message, type, code}}. */
export function sendProxyError(res: ServerResponse, status: number, message: string, code: string, type?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, type: type ?? TYPES[status] ?? 'error', code } });
  // Our own reason, always: a relayed answer whose writeHead failed has left the upstream's unusable one on `res`.
  res.writeHead(status, STATUS_CODES[status] ?? 'Error', { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
