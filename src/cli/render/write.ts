import { OutputError } from '../../errors.ts';

/** The reader closed our stdout (`| head -c 10`): not a failure worth a message. */
export class OutputClosedError extends Error {
  readonly code = 'LLMPASS_OUTPUT_CLOSED';
}

const closedOutputs = new WeakSet<object>();
const outputNames = new WeakMap<object, string>();
const failedOutputs = new WeakMap<object, OutputError>();
const ownListeners = new WeakSet<object>();

function isClosedCode(code: string | undefined): boolean {
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

/** One line naming where the answer was going and why it could not be written: `stdout: no space left on device (ENOSPC)`. */
function writeFailure(out: object, error: NodeJS.ErrnoException): OutputError {
  const name = outputNames.get(out) ?? (out === process.stdout ? 'stdout' : 'the output');
  const why = (error.message ?? String(error)).replace(/^[A-Z]+: /, '').replace(/, \w+$/, '');
  return new OutputError(`cannot write to ${name}: ${why}${error.code && !why.includes(error.code) ? ` (${error.code})` : ''}`, { cause: error });
}

/** The failure that ended writing to `out`, when it was not its reader going away. */
export function outputFailure(out: object): OutputError | undefined {
  return failedOutputs.get(out);
}

/** Whether the reader of this stream went away (then nothing more can, or needs to, be flushed to it). */
export function outputClosed(out: object): boolean {
  return closedOutputs.has(out);
}


/**
 * Remembers that the reader of `out` went away, or that writing to it failed, from wherever that was seen (oclif's
 * help output too): an error on an output is a result to report, never an uncaught exception.
 */
export function watchForClosedOutput(out: NodeJS.WritableStream, name?: string): void {
  if (name) outputNames.set(out, name);
  const listener = (error: NodeJS.ErrnoException) => {
    if (isClosedCode(error.code)) closedOutputs.add(out);
    else if (!failedOutputs.has(out)) failedOutputs.set(out, writeFailure(out, error));
  };
  ownListeners.add(listener);
  out.on('error', listener);
}

/** Ends a file output: a file takes small writes at once and fails only on flushing them, which is then recorded. */
export function endOutput(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    (out as NodeJS.WritableStream & { end(cb: (error?: NodeJS.ErrnoException | null) => void): void }).end((error?: NodeJS.ErrnoException | null) => {
      if (error && !isClosedCode(error.code) && !failedOutputs.has(out)) failedOutputs.set(out, writeFailure(out, error));
      resolve();
    });
  });
}

/** oclif rethrows any stdout error but EPIPE from its own listener (an uncaught stack): ours reports it instead. */
export function ownOutputErrors(out: NodeJS.WritableStream): void {
  for (const listener of out.listeners('error')) if (!ownListeners.has(listener)) out.off('error', listener as (...args: unknown[]) => void);
}

/** Writes with backpressure: waits for 'drain' instead of buffering a fast upstream in memory. */
export function writeChunk(out: NodeJS.WritableStream, chunk: Uint8Array | string): Promise<void> {
  const failed = failedOutputs.get(out);
  if (failed) return Promise.reject(failed);
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      cleanup();
      const closed = isClosedCode(error.code) && !failedOutputs.has(out);
      if (closed) closedOutputs.add(out);
      reject(closed ? new OutputClosedError('output closed') : (failedOutputs.get(out) ?? writeFailure(out, error)));
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
