import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { UsageError } from '../../errors.ts';
import { readLines } from './jsonl-input.ts';
import { LineSet } from './line-set.ts';

export const ABORTED_CODE = 'LLMPASS_ABORTED';

/**
 * What a previous run's output already answers. With `--envelope` each record names its line; without it the
 * output is in input order (resuming `--unordered` bare bodies is refused), so its k-th record answers the k-th
 * payload line. Records of lines aborted by a second Ctrl-C do not count: those lines run again.
 */
export interface ResumePlan {
  done(line: number, index: number): boolean;
  /** Records that count. */
  answered: number;
  /** Records of aborted lines, to run again. */
  aborted: number;
  /** The file's last line had no newline (cut short): it was left out. */
  cutShort: boolean;
}

function isAborted(record: unknown): boolean {
  const error = (record as { error?: { code?: unknown } } | null)?.error;
  return typeof error === 'object' && error !== null && error.code === ABORTED_CODE;
}

async function endsWithNewline(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 10;
  } finally {
    await handle.close();
  }
}

export async function readResume(path: string, envelope: boolean): Promise<ResumePlan> {
  let complete: boolean;
  try {
    complete = await endsWithNewline(path);
  } catch (error) {
    throw new UsageError(`--resume ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const done = new LineSet();
  let position = 0;
  let aborted = 0;
  let pendingLast: string | undefined;
  for await (const text of readLines(createReadStream(path))) {
    // The last line is only known to be whole once the next arrives (or the file ends with a newline).
    if (pendingLast !== undefined) consider(pendingLast);
    pendingLast = text;
  }
  if (pendingLast !== undefined && complete) consider(pendingLast);
  return {
    done: envelope ? (line) => done.has(line) : (_line, index) => done.has(index),
    answered: done.size,
    aborted,
    cutShort: !complete,
  };

  function consider(text: string): void {
    if (text.trim() === '') return;
    position += 1;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      if (envelope) throw new UsageError(`--resume ${path}: record ${position} is not JSON; was the file written by llmpass --jsonl --envelope?`);
      record = undefined;
    }
    if (isAborted(record)) {
      aborted += 1;
      return;
    }
    if (!envelope) {
      done.add(position);
      return;
    }
    const line = (record as { line?: unknown } | null)?.line;
    if (typeof line !== 'number' || !Number.isInteger(line) || line < 1) {
      throw new UsageError(`--resume ${path}: record ${position} has no "line"; was the file written with --envelope?`);
    }
    done.add(line);
  }
}
