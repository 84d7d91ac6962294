// Following a body as its reader reads it, with no stage in between (a Transform per answer was ~3 ms of a one-shot
// call's CPU, and a stage on the proxy's path per request): for the request log's observer, a trace, the tpm count.
import type { Readable } from 'node:stream';

/** How a followed body settled: its end, the error it failed with, or closed before its end (its reader went away). */
export type BodySettled = 'ended' | 'cut' | Error;

/**
 * Calls `see` with each chunk the body's reader gets, then `settled` once. The chunk listener is prepended, not added
 * with on(): Readable's on('data') would set the body flowing before its reader is there (a reader yet to come: the
 * CLI's printer, a batch line, a library caller) and its chunks would pass unread. As it is, the body flows only when
 * its reader reads it (read() emits 'data' for each chunk it returns; pipe() and the reader's own on('data') resume
 * it), exactly as it would unfollowed; a reader already attached is joined as it is.
 */
export function followBody(body: Readable, see: (chunk: Buffer) => void, settled: (how: BodySettled) => void): void {
  let done = false;
  const settle = (how: BodySettled): void => {
    if (done) return;
    done = true;
    settled(how);
  };
  body.prependListener('data', see);
  body.once('end', () => settle('ended'));
  body.once('error', settle);
  body.once('close', () => settle('cut'));
}
