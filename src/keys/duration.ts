import { UsageError } from '../errors.ts';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, mo: 2_592_000_000 };

/** LiteLLM's durations: `30s`, `15m`, `1h`, `30d` (and `1w`, `1mo` as 30 days), in milliseconds. */
export function parseDuration(text: string, field: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w|mo)\s*$/.exec(text);
  if (!match || Number(match[1]) <= 0) throw new UsageError(`${field} "${text}": give a duration such as 30s, 15m, 1h or 30d`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}
