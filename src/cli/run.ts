import { fastCall } from './call/fast-call.ts';
import { restartWithExposedGc } from './proxy/expose-gc.ts';
import { reportError } from './report-error.ts';
import { outputClosed, outputFailure, watchForClosedOutput } from './render/write.ts';

/** The words that ask for the root help or the version: only they import help-cache.ts. */
const ROOT_WORDS = ['', '--help', '-h', 'help', '--version'];

/** Waits until stdout has handed everything to the OS, or its reader has gone: whichever comes first. */
function drained(out: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (outputClosed(out) || out.destroyed || out.write('')) return resolve();
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('error', done);
    out.once('close', done);
  });
}

/**
 * The CLI's entry: a plain call without oclif (call/fast-call.ts), else oclif (run-oclif.ts). As oclif's own
 * `execute`, except that a stdout whose reader went away (`| head`) is not waited on: its 'drain' never comes.
 */
export async function run(binUrl: string): Promise<void> {
  watchForClosedOutput(process.stdout);
  try {
    const argv = process.argv.slice(2);
    // The proxy restarts itself with --expose-gc: before oclif and the proxy's modules load, not after (~0.2 s of CPU).
    if (argv[0] === 'proxy') restartWithExposedGc();
    const fast = argv[0] === 'call' && (await fastCall(argv.slice(1), binUrl));
    const render = async () => (await import('./run-oclif.ts')).runWithOclif(argv, binUrl);
    // The root help and the version: oclif's text as it last rendered it, when nothing it depends on has changed.
    if (!fast && argv.length <= 1 && ROOT_WORDS.includes(argv[0] ?? '')) await (await import('./help-cache.ts')).rootHelp(argv, binUrl, render);
    else if (!fast) await render();
    await drained(process.stdout);
    // A write that failed after the command returned (a dry run to a full disk) still fails the run, in one line.
    const failed = outputFailure(process.stdout);
    if (failed && !process.exitCode) process.exitCode = reportError(failed, { debug: false, bin: 'llmpass' });
  } catch (error) {
    const { handle } = await import('./run-oclif.ts');
    await handle(error instanceof Error ? error : new Error(String(error)));
  }
}
