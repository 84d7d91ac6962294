import { UsageError } from '../errors.ts';

/**
 * oclif's "Missing 2 required args:" lists descriptions; a person needs the names and the usage line:
 * `missing MODEL and ENDPOINT: llmpass call MODEL ENDPOINT [FLAGS]`. Undefined for any other error.
 */
export function missingArgsError(error: unknown, usage: { bin: string; id: string; args: readonly string[] }): UsageError | undefined {
  if ((error as Error)?.constructor?.name !== 'RequiredArgsError') return undefined;
  const missing = ((error as { args?: Array<{ name?: string }> }).args ?? []).map((arg) => (arg.name ?? '').toUpperCase()).filter(Boolean);
  if (!missing.length) return undefined;
  const names = missing.length > 1 ? `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}` : missing[0];
  // oclif's ids join a topic and its command with ':' (logs:show); a person types a space.
  const synopsis = [usage.bin, usage.id.replaceAll(':', ' '), ...usage.args.map((arg) => arg.toUpperCase()), '[FLAGS]'].join(' ');
  return new UsageError(`missing ${names}: ${synopsis}`);
}
