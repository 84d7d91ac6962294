/** The reader closed our stdout (`| head -c 10`): not a failure worth a message. */
export class OutputClosedError extends Error {
  readonly code = 'LLMPASS_OUTPUT_CLOSED';
}

const closedOutputs = new WeakSet<object>();

/** Whether the reader of this stream went away (then nothing more can, or needs to, be flushed to it). */
export function outputClosed(out: object): boolean {
  return closedOutputs.has(out);
}


/** Remembers that the reader of `out` went away, from wherever that was seen (oclif's help output too). */
export function watchForClosedOutput(out: NodeJS.WritableStream): void {
  out.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') closedOutputs.add(out);
  });
}

/** Writes with backpressure: waits for 'drain' instead of buffering a fast upstream in memory. */
export function writeChunk(out: NodeJS.WritableStream, chunk: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      cleanup();
      const closed = error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED' || error.code === 'ECONNRESET';
      if (closed) closedOutputs.add(out);
      reject(closed ? new OutputClosedError('output closed') : error);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      out.off('error', onError);
      out.off('drain', onDrain);
    };
    out.on('error', onError);
    let flushed: boolean;
    try {
      flushed = out.write(chunk);
    } catch (error) {
      cleanup();
      closedOutputs.add(out);
      reject(new OutputClosedError(String(error)));
      return;
    }
    if (flushed) {
      cleanup();
      resolve();
    } else out.on('drain', onDrain);
  });
}
