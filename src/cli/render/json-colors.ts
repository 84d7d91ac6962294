import type { ChalkInstance } from 'chalk';

/** Pretty JSON with colours for a terminal: keys, strings, numbers and literals each in their own colour. */
export function colorJson(value: unknown, chalk: ChalkInstance, indent = 2): string {
  const text = JSON.stringify(value, null, indent) ?? String(value);
  if (chalk.level === 0) return text;
  return text.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (match, string: string | undefined, colon: string | undefined, literal: string | undefined, number: string | undefined) => {
      if (string !== undefined) return colon ? chalk.blue.bold(string) + colon : chalk.green(string);
      if (literal !== undefined) return chalk.magenta(literal);
      if (number !== undefined) return chalk.yellow(number);
      return match;
    },
  );
}
