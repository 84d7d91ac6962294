import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError } from '../errors.ts';
import { readWhole } from '../transport/read-whole.ts';

/** Reads a body that must be parsed (JSON to rewrite) under a size limit; the stream is abandoned past it. */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError(`the JSON body is ${declared} bytes; the limit is ${limit} (--max-json-body)`));
  return readWhole(req, limit, () => new BodyTooLargeError(`the JSON body is over ${limit} bytes (--max-json-body)`));
}
