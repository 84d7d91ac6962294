import { expect } from 'vitest';

/**
 * No secret appears in `text`, nor a recognisable piece of one (its last 12 characters); `where` names the output
 * (stdout, an error body, /metrics) in the failure message.
 */
export function expectNoSecret(text: string, secrets: Iterable<string>, where: string): void {
  for (const secret of secrets) {
    expect(text.includes(secret), `${secret} in ${where}: ${text.slice(0, 2000)}`).toBe(false);
    if (secret.length >= 16) expect(text.includes(secret.slice(-12)), `a piece of ${secret} in ${where}`).toBe(false);
  }
}
