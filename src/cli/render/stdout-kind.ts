import { fstatSync, statSync } from 'node:fs';

/**
 * Whether stdout is a regular file or /dev/null: only then does a batch's progress bar have the terminal to itself.
 * A pipe's reader (`| jq`) may be printing to the same terminal, and the bar would interleave with its lines.
 */
export function stdoutIsFileOrNull(fd = 1): boolean {
  try {
    const out = fstatSync(fd);
    if (out.isFile()) return true;
    return out.isCharacterDevice() && out.rdev === statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}
