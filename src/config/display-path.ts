import { isAbsolute, relative } from 'node:path';

/** Paths in messages are relative to the working directory when the file is below it, as people typed them. */
export function displayPath(filepath: string, cwd = process.cwd()): string {
  const rel = relative(cwd, filepath);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : filepath;
}
