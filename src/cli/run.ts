import { execute } from '@oclif/core';

/** The CLI's entry: oclif (bundled into this file's chunk, so start-up resolves no packages). */
export async function run(binUrl: string): Promise<void> {
  await execute({ dir: binUrl });
}
