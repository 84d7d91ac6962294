import { handle, run as runOclif } from '@oclif/core';
import { outputClosed, watchForClosedOutput } from './write.ts';

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
 * The CLI's entry: oclif (bundled into this file's chunk, so start-up resolves no packages). As oclif's own
 * `execute`, except that a stdout whose reader went away (`| head`) is not waited on: its 'drain' never comes.
 */
export async function run(binUrl: string): Promise<void> {
  watchForClosedOutput(process.stdout);
  try {
    await runOclif(process.argv.slice(2), binUrl);
    await drained(process.stdout);
  } catch (error) {
    await handle(error instanceof Error ? error : new Error(String(error)));
  }
}
