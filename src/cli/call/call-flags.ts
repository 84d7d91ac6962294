// What `call` and its batch mode (run-batch.ts) share: the flags' type and the parsing of --header and --query.
import type { Interfaces } from '@oclif/core';
import type Call from '../../commands/call.ts';
import { UsageError } from '../../errors.ts';

/** The `call` command's flags as oclif parses them (typed from its definitions), plus its positionals. */
export type CallFlags = Interfaces.InferredFlags<typeof Call.flags> & {
  model: string;
  endpoint: string;
  bin: string;
  /** Request items after MODEL and ENDPOINT (`key=value`, `Header:Value`, `name==value`, ...). */
  items?: string[] | undefined;
  /** The request-log row this call replays (`llmpass replay`). */
  replayOf?: string | undefined;
};

export function parseHeaders(values: string[] = []): Array<[string, string]> {
  return values.map((value) => {
    const colon = value.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header "${value}": expected 'Name: value'`);
    return [value.slice(0, colon).trim().toLowerCase(), value.slice(colon + 1).trim()];
  });
}

export function parseQuery(values: string[] = []): Array<[string, string]> {
  return values.map((value) => {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`--query "${value}": expected key=value`);
    return [value.slice(0, eq), value.slice(eq + 1)];
  });
}
