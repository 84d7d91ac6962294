import type { IncomingMessage } from 'node:http';
import { LlmpassError } from '../errors.ts';

export class BodyTooLargeError extends LlmpassError {
  override readonly code = 'LLMPASS_BODY_TOO_LARGE';
  override readonly httpStatus = 413;
}

/** Reads a body that must be parsed (JSON to rewrite) under a size limit; the stream is abandoned past it. */
export async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(`the JSON body is ${declared} bytes; the limit is ${limit} (--max-json-body)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`the JSON body is over ${limit} bytes (--max-json-body)`);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
