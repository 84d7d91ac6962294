import { flush, handle, run as runOclif } from '@oclif/core';
import { outputClosed } from './write.ts';

/**
 * The CLI's entry: oclif (bundled into this file's chunk, so start-up resolves no packages). As oclif's own
 * `execute`, except that a stdout the reader already closed is not waited on: its 'drain' never comes.
 */
export async function run(binUrl: string): Promise<void> {
  try {
    await runOclif(process.argv.slice(2), binUrl);
    if (!outputClosed(process.stdout) && !process.stdout.destroyed) await flush();
  } catch (error) {
    await handle(error instanceof Error ? error : new Error(String(error)));
  }
}
