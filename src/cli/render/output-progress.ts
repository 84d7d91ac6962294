import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { replyHeader } from '../../transport/reply.ts';
import type { UpstreamReply } from '../../core/reply.ts';
import { formatSize } from './terminal-answer.ts';

/** Answers smaller than this are saved without a bar: it would only flash. */
const BAR_FROM = 4 * 1000 * 1000;
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

/**
 * `--output FILE` on a terminal: a progress bar on stderr for a big answer (its size known or not), and a last
 * line `saved 50.0 MB to big.bin`. The bytes pass through untouched.
 */
export function showSaving(reply: UpstreamReply, path: string, err: NodeJS.WriteStream): { reply: UpstreamReply; done(): void; stop(): void } {
  const total = Number(replyHeader(reply, 'content-length') ?? Number.NaN);
  let saved = 0;
  let drawn = false;
  const draw = () => {
    if (saved < BAR_FROM && !drawn) return;
    drawn = true;
    const known = Number.isFinite(total) && total > 0;
    const share = known ? Math.min(1, saved / total) : 0;
    const bar = known ? `[${'#'.repeat(Math.round(share * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')}] ${Math.floor(share * 100)}% ` : '';
    err.write(`\r${bar}${formatSize(saved)}${known ? ` of ${formatSize(total)}` : ''} → ${path}\u001b[K`);
  };
  const timer = setInterval(draw, REDRAW_MS);
  timer.unref();
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      saved += chunk.length;
      next(null, chunk);
    },
  });
  pipeline(reply.body, tap).catch(() => undefined);
  const stop = () => {
    clearInterval(timer);
    if (drawn) err.write('\r\u001b[K');
  };
  return {
    reply: { ...reply, body: tap as Readable },
    stop,
    done() {
      stop();
      err.write(`saved ${formatSize(saved)} to ${path}\n`);
    },
  };
}
