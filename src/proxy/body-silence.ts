import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Cuts off a client that goes silent while sending its body (a slowloris): `onSilent` after `ms` without a byte.
 * The clock stops while the body is paused by our own backpressure (an upstream slow to take an upload) and once
 * the body has all arrived; each resume starts it afresh.
 */
export function watchBodySilence(req: IncomingMessage, res: ServerResponse, ms: number, onSilent: () => void): void {
  if (req.complete) return;
  // Looked at once this turn of the event loop has read what the socket had: a small body (most JSON bodies) is
  // whole by then, even one sent apart from its headers, and needs none of the listeners and socket timers below
  // (they were a measurable part of every request). Not sooner: at the next tick such a body has not been read yet.
  setImmediate(watchArriving, req, res, ms, onSilent);
}

function watchArriving(req: IncomingMessage, res: ServerResponse, ms: number, onSilent: () => void): void {
  // A body answered already (a refusal) needs no watch: its socket keeps Node's keep-alive timeout.
  if (req.complete || req.destroyed || res.writableFinished) return;
  const socket = req.socket;
  let armed = false;
  const arm = () => {
    if (req.complete) return;
    armed = true;
    socket.setTimeout(ms);
  };
  const disarm = () => {
    if (!armed) return;
    armed = false;
    // Once the answer is out Node has set the connection's keep-alive timeout on the socket: it stays.
    if (!res.writableFinished) socket.setTimeout(0);
  };
  // Node emits 'timeout' on a request still arriving; on a complete one only the response hears it, and with
  // nobody listening Node would reset the connection (a body all received, still being passed upstream).
  req.once('timeout', onSilent);
  res.on('timeout', () => {
    if (req.complete) disarm();
  });
  req.on('pause', disarm);
  req.on('resume', arm);
  req.once('end', disarm);
  req.once('close', disarm);
  // A body our own backpressure paused before the watch began starts its clock when it is resumed.
  if (!req.isPaused()) arm();
}
