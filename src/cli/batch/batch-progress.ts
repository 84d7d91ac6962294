import type { BatchTally } from './batch-tally.ts';

/*
 * A one-line progress bar on stderr, written by hand: done / failed / rate / ETA fit in fifty lines, ora is a
 * spinner (no counts), and a progress-bar package would add a dependency and its own redraw timing for this
 * one line.
 */

const REDRAW_MS = 100;
/** The rate is measured over the last few seconds, so the ETA follows a slowdown (a 429 back-off) quickly. */
const RATE_WINDOW_MS = 5_000;

export interface ProgressSource {
  tally: BatchTally;
  /** Payload lines to send in all, once known (a file was counted). */
  total(): number | undefined;
  /** A word on what is going on: slowed down by the upstream, stopping after Ctrl-C. */
  note(): string | undefined;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const n = (value: number) => value.toLocaleString('en-US');

export function progressLine(source: ProgressSource, rate: number, columns: number): string {
  const { tally } = source;
  const total = source.total();
  const parts: string[] = [];
  if (total !== undefined && total > 0) {
    const fraction = Math.min(1, tally.done / total);
    const width = Math.max(10, Math.min(30, columns - 70));
    const filled = Math.round(fraction * width);
    parts.push(`${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${n(tally.done)}/${n(total)} ${Math.floor(fraction * 100)}%`);
  } else parts.push(`${n(tally.done)} done`);
  if (tally.failed) parts.push(`${n(tally.failed)} failed`);
  parts.push(`${n(Math.round(rate))}/s`);
  if (total !== undefined && rate > 0 && tally.done < total) parts.push(`ETA ${duration((total - tally.done) / rate)}`);
  const note = source.note();
  if (note) parts.push(note);
  const line = parts.join(' · ');
  return line.length >= columns ? `${line.slice(0, Math.max(0, columns - 2))}…` : line;
}

/** Redraws the line ten times a second until stopped; stopping clears it, so the summary line stands alone. */
export function startProgress(stream: NodeJS.WriteStream, source: ProgressSource): { stop(): void } {
  const samples: Array<{ at: number; done: number }> = [];
  const draw = () => {
    const at = performance.now();
    samples.push({ at, done: source.tally.done });
    while (samples.length > 2 && at - samples[0]!.at > RATE_WINDOW_MS) samples.shift();
    const first = samples[0]!;
    const span = (at - first.at) / 1000;
    const rate = span > 0.2 ? (source.tally.done - first.done) / span : 0;
    stream.write(`\r${progressLine(source, rate, stream.columns || 80)}\x1b[K`);
  };
  const timer = setInterval(draw, REDRAW_MS);
  timer.unref();
  draw();
  return {
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[K');
    },
  };
}
