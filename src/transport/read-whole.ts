import type { Readable } from 'node:stream';

/**
 * Reads a stream whole, under `limit` bytes: past it, rejects with `tooLarge()` and stops collecting (what is
 * still to come is the caller's: the proxy lets a client's body drain, the signer destroys its stream). A stream
 * that closes before its end (a client gone mid-body) rejects too.
 */
export function readWhole(stream: Readable, limit: number, tooLarge: () => Error, expectedLength?: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // A body of announced length is copied into place as it arrives: a large one is never held twice, and no
    // single copy of it all blocks the event loop at the end.
    const whole = expectedLength !== undefined && expectedLength > 64 * 1024 && expectedLength <= limit ? Buffer.allocUnsafe(expectedLength) : undefined;
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) fail(tooLarge());
      else if (!whole) chunks.push(bytes);
      else if (size <= whole.length) bytes.copy(whole, size - bytes.length);
      else fail(new Error(`the body is longer than its announced ${whole.length} bytes`));
    };
    const fail = (error: Error) => {
      done();
      reject(error);
    };
    const onEnd = () => {
      done();
      if (whole) resolve(size === whole.length ? whole : whole.subarray(0, size));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onClose = () => fail(closedEarly());
    const done = listen(stream, onData, onEnd, fail, onClose);
  });
}

/**
 * The first `limit` bytes of a stream, and whether it held more (`cut`: the rest is left unread, the caller
 * discards it). Fails as the stream fails, or as `readWhole` does when it closes before its end.
 */
export function readUpTo(stream: Readable, limit: number): Promise<{ bytes: Buffer; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (cut: boolean) => {
      done();
      const bytes = Buffer.concat(chunks, Math.min(size, limit));
      resolve({ bytes, cut });
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      size += bytes.length;
      if (size > limit) {
        stream.pause();
        finish(true);
      }
    };
    const onEnd = () => finish(false);
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const done = listen(stream, onData, onEnd, onError, () => onError(closedEarly()));
  });
}

function closedEarly(): Error {
  return Object.assign(new Error('the body stream closed before its end'), { code: 'ECONNRESET' });
}

/**
 * Listeners rather than `for await`: the async iterator costs a few stream helpers per call, measurable on the proxy's
 * per-request path. Returns their removal.
 */
function listen(stream: Readable, onData: (chunk: Buffer | string) => void, onEnd: () => void, onError: (error: Error) => void, onClose: () => void): () => void {
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
  return () => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
  };
}
