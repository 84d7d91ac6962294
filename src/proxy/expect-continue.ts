// `Expect: 100-continue` (curl sends it before a body over 1 MiB): the client holds its body until the server says
// to go on. Node says so at once unless told otherwise; the proxy says it only when the body is first read, so a
// request refused before that (no key, a JSON body over the limit) is answered before a byte of its body is sent,
// rather than cut off mid-upload with its answer lost to a reset.
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Wires a request that expects 100 Continue: it is sent on the body's first read, if no answer has begun.
 * `keepOpen` says whether the connection may still be kept then (not while the proxy drains).
 */
export function continueOnRead(req: IncomingMessage, res: ServerResponse, keepOpen: () => boolean): void {
  const keepAlive = res.shouldKeepAlive;
  // Refused without its body, the request may still send it (RFC 9110 §10.1.1): its connection is not reused.
  res.shouldKeepAlive = false;
  const read = req._read;
  req._read = function (this: IncomingMessage, size: number) {
    req._read = read;
    if (!res.headersSent) {
      res.writeContinue();
      res.shouldKeepAlive = keepAlive && keepOpen();
    }
    read.call(this, size);
  };
}
