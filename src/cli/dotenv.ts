import { UsageError } from '../errors.ts';

/**
 * `--dotenv FILE`: provider keys from a dotenv file. Named so because Node itself takes `--env-file` wherever it
 * stands on the command line and refuses a missing file with its own exit 9 before llmpass runs.
 */
export function loadDotenv(path: string | undefined): void {
  if (!path) return;
  try {
    process.loadEnvFile(path);
  } catch (error) {
    throw new UsageError(`--dotenv ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}
