// A file a command will write once its work is done (`call --output`, `models --check --junit`), checked before
// the work starts: a typo in its path would otherwise cost the call (a paid one) or the checks, and lose their
// result. Checked, not opened: an existing file is left as it is until there is something to put in it.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

export async function assertWritablePath(flag: string, path: string): Promise<void> {
  try {
    const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (found?.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
    await access(found ? path : dirname(resolve(path)), constants.W_OK);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
