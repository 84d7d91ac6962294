import { UsageError } from '../../errors.ts';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time for `--since`/`--until`: an age (`90s`, `15m`, `1h`, `2d`, `1w`) back from `now`, or a date or
 * date-time (`2026-01-15`, `2026-01-15T12:00:00Z`). Epoch milliseconds.
 */
export function parseTimePoint(flag: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const age = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  if (age) return now - Number(age[1]) * UNIT_MS[age[2]!.toLowerCase()]!;
  const date = /^\d{4}-\d{2}-\d{2}/.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (!Number.isNaN(date)) return date;
  throw new UsageError(`${flag} "${value}": give an age (30m, 1h, 2d, 1w) or a date (2026-01-15, 2026-01-15T12:00:00Z)`);
}
