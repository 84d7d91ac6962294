import { readFileSync } from 'node:fs';
import { parseCallArgv, type FlagTable } from './call-argv.ts';
import { debugEnabled, reportError } from '../report-error.ts';
import { ownOutputErrors } from '../render/write.ts';

/** The call flags' table the build wrote beside the bundle; none (a build from before it) means oclif. */
function readTable(binUrl: string): FlagTable | undefined {
  try {
    return JSON.parse(readFileSync(new URL('../dist/cli/call-flags.json', binUrl), 'utf8')) as FlagTable;
  } catch {
    return undefined;
  }
}

/**
 * Runs `llmpass call ARGS` without loading oclif, as the Call command and its BaseCommand would: false when the
 * arguments are not certain to read the same (see call-argv.ts), and oclif must run the call instead.
 */
export async function fastCall(args: string[], binUrl: string): Promise<boolean> {
  const table = readTable(binUrl);
  const parsed = table && parseCallArgv(args, table);
  if (!parsed) return false;
  ownOutputErrors(process.stdout);
  let stopDrawing: (() => void) | undefined;
  try {
    const { runCall } = await import('./run-call.ts');
    const call = { model: parsed.model, endpoint: parsed.endpoint, items: parsed.items, ...parsed.flags, bin: 'llmpass' };
    process.exitCode = await runCall(call as Parameters<typeof runCall>[0], (stop) => {
      stopDrawing = stop;
    });
  } catch (error) {
    stopDrawing?.();
    process.exitCode = reportError(error, { debug: debugEnabled(parsed.flags.debug === true), bin: 'llmpass' });
  }
  return true;
}
