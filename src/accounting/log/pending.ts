// Rows a one-shot call leaves beside the SQLite file (`logs.db-pending/`) instead of writing them into it: a file
// per call, written and renamed into place (no fsync), folded into the database by the next process that opens it
// (`llmpass logs`, `replay`, the proxy, a batch) or by every Nth call. Opening, writing and closing the database
// each time cost a call more than its answer's tail: closing checkpoints the WAL, two fsyncs (measured in
// bench/call-log.mjs). A row here is as durable as a WAL commit at `synchronous = NORMAL`: it survives the process,
// not a power cut.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestRow } from './row.ts';

/** The format of a pending file; a later llmpass folds files of every version it ever wrote. */
const FORMAT = 1;
const SUFFIX = '.rows';
/** A temporary file older than this was left by a process that died while writing it. */
const STALE_MS = 10 * 60_000;

/** `logs.db-pending`, named the way SQLite names its own files beside the database (`logs.db-wal`). */
export function pendingDir(path: string): string {
  return `${path}-pending`;
}

/** The line said when rows wait because the log would not take them (a fold that failed, a schema too new). */
export function waitingNotice(path: string, reason: string): string {
  return `request log: ${reason}; calls wait in ${pendingDir(path)}`;
}

type StoredRow = Omit<RequestRow, 'requestBody' | 'responseBody'> & { requestBody: number | null; responseBody: number | null };

/**
 * Leaves `rows` in one pending file; returns how many pending files there are now (the caller folds at a
 * threshold). Throws when the folder cannot be written (the caller then writes to the database itself).
 */
export function leavePending(path: string, rows: readonly RequestRow[]): number {
  const dir = pendingDir(path);
  mkdirSync(dir, { recursive: true });
  const bodies: Uint8Array[] = [];
  const stored: StoredRow[] = rows.map((row) => {
    if (row.requestBody) bodies.push(row.requestBody);
    if (row.responseBody) bodies.push(row.responseBody);
    return { ...row, requestBody: row.requestBody?.byteLength ?? null, responseBody: row.responseBody?.byteLength ?? null };
  });
  const name = `${rows[0]!.id}${SUFFIX}`;
  const temporary = join(dir, `.${name}.tmp`);
  const fd = openSync(temporary, 'wx');
  try {
    try {
      writeAll(fd, [Buffer.from(`${JSON.stringify({ v: FORMAT, rows: stored })}\n`), ...bodies]);
    } finally {
      closeSync(fd);
    }
    // Renamed only once whole: a fold never reads half a file.
    renameSync(temporary, join(dir, name));
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return readdirSync(dir).filter((entry) => entry.endsWith(SUFFIX)).length;
}

/**
 * Writes every byte or throws. A short count (a full disk, a file-size limit) goes on from where it stopped, and the
 * next write throws the reason: a cut file renamed into place would be dropped by the fold as unreadable.
 */
function writeAll(fd: number, chunks: readonly Uint8Array[]): void {
  let left = chunks;
  while (left.length) {
    let wrote = writevSync(fd, left);
    if (wrote === 0) throw new Error('no byte written');
    const rest: Uint8Array[] = [];
    for (const chunk of left) {
      if (wrote >= chunk.byteLength) wrote -= chunk.byteLength;
      else {
        rest.push(chunk.subarray(wrote));
        wrote = 0;
      }
    }
    left = rest;
  }
}

export interface PendingRows {
  /** Each file and its rows (folded file by file, so that one the database refuses holds back no other). */
  files: Array<{ file: string; rows: RequestRow[] }>;
  /** Files that could not be read as rows (cut by a power loss): removed, and counted for a notice. */
  unreadable: string[];
  /** Names listed but gone when read: removed if still there, never counted. */
  gone: string[];
}

const GONE = 'gone';
const LEFT = 'left';

/**
 * A fold reads this many bytes of files at most before it writes them: a folder that grew while folds failed (a
 * schema too new, a full disk) is taken in over several transactions, never read into memory at once.
 */
export const FOLD_BATCH_BYTES = 32 * 1024 * 1024;

/** The rows waiting beside `path`, a batch at a time (up to `maxBytes` of files each); none when there is no folder. */
export function* pendingBatches(path: string, maxBytes = FOLD_BATCH_BYTES): Generator<PendingRows> {
  const dir = pendingDir(path);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  let batch: PendingRows = { files: [], unreadable: [], gone: [] };
  let bytes = 0;
  for (const entry of entries) {
    const file = join(dir, entry);
    if (entry.endsWith(SUFFIX)) {
      const read = rowsOf(file);
      // Gone since the listing: another process folded it (its rows are in the database), or a dangling link.
      if (read === GONE) batch.gone.push(file);
      else if (read === LEFT) continue;
      else if (read) {
        batch.files.push({ file, rows: read.rows });
        bytes += read.size;
      } else batch.unreadable.push(file);
    } else if (entry.endsWith('.tmp') && isStale(file)) batch.unreadable.push(file);
    if (bytes >= maxBytes) {
      yield batch;
      batch = { files: [], unreadable: [], gone: [] };
      bytes = 0;
    }
  }
  if (batch.files.length || batch.unreadable.length || batch.gone.length) yield batch;
}

/** Removes files whose rows are in the database (or that held none); one already gone was folded by another process. */
export function removePending(files: readonly string[]): void {
  for (const file of files) {
    try {
      unlinkSync(file);
    } catch {
      // gone already, or left for the next fold (its rows are skipped by id then)
    }
  }
}

function rowsOf(file: string): { rows: RequestRow[]; size: number } | typeof GONE | typeof LEFT | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    // Not read is not cut: a file this process may not read, or cannot now (EACCES, EMFILE, EIO), keeps its row.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? GONE : LEFT;
  }
  try {
    const end = bytes.indexOf(0x0a);
    if (end < 0) return undefined;
    const header = JSON.parse(bytes.toString('utf8', 0, end)) as { v?: unknown; rows?: unknown };
    // A newer llmpass's format: its rows are kept for it (an older one folding after a downgrade must not drop them).
    if (typeof header.v === 'number' && header.v > FORMAT) return LEFT;
    if (header.v !== FORMAT || !Array.isArray(header.rows)) return undefined;
    let at = end + 1;
    const body = (length: number | null): Uint8Array | null => {
      if (length === null) return null;
      if (!Number.isSafeInteger(length) || at + length > bytes.length) throw new RangeError('a body past the end of the file');
      return bytes.subarray(at, (at += length));
    };
    // Bodies follow the header in the order they were written: each row's request, then its response.
    const rows = (header.rows as StoredRow[]).map((row) => ({ ...row, requestBody: body(row.requestBody), responseBody: body(row.responseBody) }));
    return at === bytes.length ? { rows, size: bytes.length } : undefined;
  } catch {
    return undefined;
  }
}

function isStale(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}
