import { UsageError } from '../errors.ts';

/** A flag's number of seconds (`--timeout 2.5`): positive and finite, else one line naming the flag. */
export function parseSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`${flag} "${value}": expected a positive number of seconds`);
  return seconds;
}
