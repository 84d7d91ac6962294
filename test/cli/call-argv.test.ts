// `llmpass call` skips oclif when its arguments are plain (src/cli/call/fast-call.ts). Each argument list here is
// parsed both ways: the fast parser either gives exactly what oclif's parser gives the Call command, or gives up
// (undefined) so that oclif runs the call, its errors included.
import { parse } from '@oclif/core/parser';
import { describe, expect, it } from 'vitest';
import Call from '../../src/commands/call.ts';
import { flagTable, parseCallArgv, type ParsedCall } from '../../src/cli/call/call-argv.ts';

const table = await flagTable(Call.flags as never);

async function oclif(argv: string[]): Promise<ParsedCall | Error> {
  try {
    const { args, argv: rest, flags } = await parse(argv, { flags: Call.flags, args: Call.args, strict: Call.strict });
    return { model: args.model as string, endpoint: args.endpoint as string, items: (rest as string[]).slice(2), flags: { ...flags } };
  } catch (error) {
    return error as Error;
  }
}

const READ_ALIKE = [
  ['m', 'classify', '--json', '{"input":"Hi"}'],
  ['m', 'v1/chat/completions', 'model=x', 'stream:=true', 'Authorization:Bearer', '-d', 'text', '--raw'],
  ['--json={"a":1}', 'm', 'e', '--no-swap', '-i', '-v', '--meta-json'],
  ['m', 'e', '-H', 'a: b', '-H', 'c: d', 'item=1', '-q', 'k=v', '--query', 'x=y', '-F', 'f=@x', 'tail'],
  ['m', 'e', '--data', '-', '--timeout', '2.5', '--config', 'c.yaml', '--api-base', 'http://h', '--swap'],
  ['m', 'e', '--jsonl', '--unordered', '--envelope', '--resume', 'out.jsonl', '--no-progress'],
  ['m', 'e', '-X', 'GET', '-o', 'file', '--dotenv', '.env', '--dry-run', '--pretty', '--events', '--meta', '--debug'],
  ['m', 'e', '-', 'x=-1'],
];

// Each must go to oclif: it reads them differently, checks them, or fails them with its own message.
const LEFT_TO_OCLIF = [
  ['m', 'e', '--help'],
  ['m', 'e', '-h'],
  ['m', 'e', '--', '--json'],
  ['m', 'e', '-iv'],
  ['m', 'e', '-dtext'],
  ['m', 'e', '--json', '--raw'],
  ['m', 'e', '--json', '-5'],
  ['m', 'e', '--json', 'a', '--json', 'b'],
  ['m', 'e', '--raw', '--raw'],
  ['m', 'e', '--raw=false'],
  ['m', 'e', '--no-raw'],
  ['m', 'e', '--retries', '2'],
  ['m', 'e', '--concurrency', '3', '--jsonl'],
  ['m', 'e', '--unordered'],
  ['m', 'e', '--dry-run', '--curl'],
  ['m', 'e', '--pretty', '--raw'],
  ['m', 'e', '--jsonl', '--json', '{}'],
  ['m', 'e', '--no-such-flag'],
  ['m', 'e', '--json'],
  ['m'],
  [],
];

describe('call arguments without oclif', () => {
  it.each(READ_ALIKE.map((argv) => [argv.join(' '), argv]))('reads %s as oclif does', async (_, argv) => {
    const fast = parseCallArgv(argv as string[], table);
    expect(fast).toBeDefined();
    expect(fast).toEqual(await oclif(argv as string[]));
  });

  it.each(LEFT_TO_OCLIF.map((argv) => [argv.join(' '), argv]))('leaves %s to oclif', (_, argv) => {
    expect(parseCallArgv(argv as string[], table)).toBeUndefined();
  });

  it('marks the flags whose values oclif converts or checks (integers with a minimum)', () => {
    expect(table.retries?.converted).toBe(true);
    expect(table.concurrency?.converted).toBe(true);
    expect(table.json?.converted).toBeUndefined();
    expect(table.swap).toMatchObject({ type: 'boolean', allowNo: true, default: true });
  });
});
