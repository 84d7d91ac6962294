import type { IncomingHttpHeaders } from 'node:http';
import { expect } from 'vitest';
import type { ProxyErrorBody } from './proxy.ts';

/** An answer as either exchange helper gives it (postJson/httpRequest in proxy.ts, exchange in outcome.ts). */
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** exchange() only: whether the body ended cleanly. */
  ended?: boolean;
}

/**
 * The proxy's own error answer: `status`, a complete JSON body `{ error: { message, type, code } }` and nothing else;
 * its `type` and `message` checked when given. Returns the error for further checks.
 */
export function expectProxyError(answer: Answer, status: number, expected: { type?: string; message?: RegExp } = {}): ProxyErrorBody['error'] {
  const text = answer.body.toString();
  expect(answer.status, text).toBe(status);
  if (answer.ended !== undefined) expect(answer.ended).toBe(true);
  expect(answer.headers['content-type']).toBe('application/json');
  const body = JSON.parse(text) as ProxyErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.message).toEqual(expect.stringMatching(/\S/));
  expect(typeof body.error.code).toBe('string');
  if (expected.type) expect(body.error.type).toBe(expected.type);
  if (expected.message) expect(body.error.message).toMatch(expected.message);
  return body.error;
}
