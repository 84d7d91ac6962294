// The root help (`llmpass`, `--help`, `-h`, `help`) and `--version` are oclif's text, and loading oclif to render
// them is most of their time. The text is kept from its last rendering next to Node's compile cache (the directory
// bin/run.js turns on), under a key of everything it depends on: this build, the words asked, the Node and the
// platform, the output's width, whether it is a terminal, and the colour and width variables. Any change renders it
// through oclif again. Nothing here is needed for the output to be right: a missing or unwritable cache only costs time.
import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';

/**
 * The cache file for `argv` (a root help or the version: run.ts imports this file only for those), or undefined
 * when there is no cache directory.
 */
function helpCacheFile(argv: readonly string[], binUrl: string): string | undefined {
  const dir = module.getCompileCacheDir?.();
  if (!dir) return undefined;
  let build: string;
  try {
    const manifest = statSync(new URL('../dist/cli/commands.js', binUrl));
    build = `${manifest.mtimeMs}:${manifest.size}`;
  } catch {
    return undefined;
  }
  const out = process.stdout;
  const env = Object.entries(process.env)
    .filter(([name]) => /^(OCLIF_|NO_COLOR$|FORCE_COLOR$|COLUMNS$|TERM$|LLMPASS_)/.test(name))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const key = JSON.stringify([binUrl, build, argv[0] ?? '', process.version, process.platform, process.arch, out.isTTY === true, out.columns ?? 0, env]);
  return join(dir, `llmpass-help-${hash(key, 0x811c9dc5)}${hash(key, 0x01000193)}.txt`);
}

/** FNV-1a, 32 bits as hex: a file name for a key (node:crypto's import alone would cost more than it saves). */
function hash(text: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The root help or version: the kept text when there is one, else oclif's rendering (`render`), kept for next time. */
export async function rootHelp(argv: readonly string[], binUrl: string, render: () => Promise<void>): Promise<void> {
  const file = helpCacheFile(argv, binUrl);
  if (!file) return render();
  if (!printKeptHelp(file)) await keepHelp(file, render);
}

/**
 * Prints the kept text for `file`; false when there is none, or when it could be anyone's: the default cache
 * directory is under the shared temporary directory, and only a file of this user that no one else may write is
 * taken as what oclif rendered.
 */
function printKeptHelp(file: string): boolean {
  let text: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const stat = fstatSync(fd);
    if ((process.getuid && stat.uid !== process.getuid()) || (stat.mode & 0o022) !== 0) return false;
    text = readFileSync(fd);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  process.stdout.write(text);
  return true;
}

/** Runs `render` (oclif) and keeps what it wrote to stdout, when it succeeded. */
async function keepHelp(file: string, render: () => Promise<void>): Promise<void> {
  const out = process.stdout;
  const chunks: Buffer[] = [];
  const write = out.write;
  // Only the text is taken: the write itself is the stream's own, unchanged.
  out.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk as string));
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof out.write;
  try {
    await render();
  } finally {
    out.write = write;
  }
  if (process.exitCode !== undefined && process.exitCode !== 0) return;
  try {
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, Buffer.concat(chunks), { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    // A read-only or full cache directory: the next run renders again.
  }
}
