import { isLlmpassError } from '../errors.ts';
import { withCliAdvice } from './error-advice.ts';
import { EXIT } from './exit-codes.ts';

function isOclifParseError(error: unknown): boolean {
  const name = (error as Error)?.constructor?.name ?? '';
  return /Flag|Arg|Parse|Validation|Required|Nonexistent|Unexpected/.test(name) || (error as { parse?: unknown })?.parse !== undefined;
}

/**
 * One line on stderr and an exit code from the table; a stack only with `--debug` or DEBUG=llmpass*.
 * Never calls process.exit: a large body still being written to a pipe must be allowed to drain.
 */
export function reportError(error: unknown, options: { debug: boolean; bin: string }): number {
  let code: number = EXIT.other;
  let message = (error as Error)?.message ?? String(error);
  if (isLlmpassError(error)) {
    code = error.exitCode;
    message = withCliAdvice(message, error.remedy);
  }
  else if (isOclifParseError(error) || (error as { oclif?: { exit?: number } })?.oclif?.exit === 2) {
    code = EXIT.usage;
    // oclif's flag validation puts a heading first and the actual problems on the lines below it.
    const lines = message.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('See more help'));
    const [first = message, ...rest] = lines;
    const parsing = /^Parsing (--\S+)$/.exec(first);
    if (/^The following errors? occurred:?$/.test(first) && rest.length) message = rest.join('; ');
    // `Parsing --retries` over `Expected an integer greater than or equal to 0 but received: -1`: one line, the flag first.
    else if (parsing && rest[0]) message = `${parsing[1]}: ${rest[0].charAt(0).toLowerCase()}${rest[0].slice(1)}`;
    else message = first;
    message = `${message} (see ${options.bin} --help)`;
  }
  const oneLine = message.replace(/\s*\n\s*/g, ' ').trim();
  process.stderr.write(`${options.bin}: ${oneLine}\n`);
  if (options.debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return code;
}

export function debugEnabled(flag: boolean | undefined): boolean {
  return Boolean(flag) || /(^|,)\s*llmpass(\*|:|,|$)/.test(process.env.DEBUG ?? '');
}
