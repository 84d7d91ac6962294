import type { Readable } from 'node:stream';

/**
 * Reads a stream whole, under `limit` bytes: past it, rejects with `tooLarge()` and stops collecting (what is
 * still to come is the caller's: the proxy lets a client's body drain, the signer destroys its stream). A stream
 * that closes before its end (a client gone mid-body) rejects too. Listeners rather than `for await`: the async
 * iterator costs a few stream helpers per call, measurable on the proxy's per-request path.
 */
export function readWhole(stream: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) {
        done();
        reject(tooLarge());
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onClose = () => {
      done();
      reject(Object.assign(new Error('the body stream closed before its end'), { code: 'ECONNRESET' }));
    };
    const done = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
