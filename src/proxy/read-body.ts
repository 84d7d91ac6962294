import type { IncomingMessage } from 'node:http';
import { LlmpassError } from '../errors.ts';

export class BodyTooLargeError extends LlmpassError {
  override readonly code = 'LLMPASS_BODY_TOO_LARGE';
  override readonly httpStatus = 413;
}

/**
 * Reads a body that must be parsed (JSON to rewrite) under a size limit; the stream is abandoned past it.
 * Listeners, not `for await`: the async iterator costs a few stream helpers per request, measurable at proxy rates.
 */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError(`the JSON body is ${declared} bytes; the limit is ${limit} (--max-json-body)`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        reject(new BodyTooLargeError(`the JSON body is over ${limit} bytes (--max-json-body)`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    // A client that goes away mid-body: the request closes without 'end'.
    const onClose = () => {
      done();
      reject(Object.assign(new Error('the client closed the connection mid-body'), { code: 'ECONNRESET' }));
    };
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
