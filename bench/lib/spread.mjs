// A figure from several interleaved rounds: its median with the spread (min–max), never a best round.
import { median } from './stats.mjs';

export function spread(values) {
  const kept = values.filter((v) => v !== undefined && !Number.isNaN(v));
  if (!kept.length) return undefined;
  return { median: median(kept), min: Math.min(...kept), max: Math.max(...kept), n: kept.length };
}

/** "1.23 [1.10–1.40]"; "-" when there is nothing. */
export function showSpread(s, digits = 2, unit = '') {
  if (!s) return '-';
  return `${s.median.toFixed(digits)}${unit} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
}
