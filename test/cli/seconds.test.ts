import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { parseSeconds } from '../../src/cli/seconds.ts';

describe('parseSeconds', () => {
  it('reads a positive number of seconds, fractions included; unset stays unset', () => {
    expect(parseSeconds('30', '--timeout')).toBe(30);
    expect(parseSeconds('2.5', '--timeout')).toBe(2.5);
    expect(parseSeconds(undefined, '--timeout')).toBeUndefined();
  });

  it('refuses zero, negatives, words and infinity with one line naming the flag', () => {
    for (const value of ['0', '-1', 'abc', '', 'Infinity', '1e999']) {
      expect(() => parseSeconds(value, '--client-timeout')).toThrow(UsageError);
      expect(() => parseSeconds(value, '--client-timeout')).toThrow(`--client-timeout "${value}": expected a positive number of seconds`);
    }
  });
});
