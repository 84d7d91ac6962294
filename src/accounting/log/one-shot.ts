// A one-shot call's log (`llmpass call`): its row built once the answer is out, and left beside the SQLite file
// (log/pending.ts) for the next process that opens it; every `foldEvery`th call folds them in itself. A PostgreSQL
// log, or a pending folder that cannot be written, gets the row straight away.
// No ring, no timers, no background retry: the process exits right after. What every call needs is imported here,
// statically, so that it loads as one dynamic import (the observer's and the log's) rather than a chain of chunks;
// the stores, for a fold or a direct write only, load when one opens.
import { buildRow } from '../observe-row.ts';
import { isPostgresUrl } from './open.ts';
import { leavePending, pendingDir, waitingNotice } from './pending.ts';
import type { SqliteLogStore } from './sqlite-store.ts';
import { SchemaTooNewError, type LogStore } from './store.ts';
import type { RequestRow } from './row.ts';
import type { WriterStatus } from './writer.ts';

export { buildRow };

export interface OneShotOptions {
  retentionDays?: number | undefined;
  /** Attempts (a locked file, a database that is down) stop at this deadline; the rows are then counted dropped. */
  deadline: number;
  onNotice?: ((message: string) => void) | undefined;
  /** Rows wait in the pending folder until it holds this many files (default 64); 1 writes each call's row at once. */
  foldEvery?: number | undefined;
}

const DAY_MS = 86_400_000;
const PRUNE_BATCH = 1_000;
const FOLD_EVERY = 64;

/**
 * Leaves `rows` pending; or, at the threshold (or with no pending folder), writes them with the pending ones (retried
 * until the deadline), deletes one batch of rows past retention and closes the store.
 */
export async function writeRows(target: string, rows: readonly RequestRow[], { retentionDays = 30, deadline, onNotice, foldEvery = FOLD_EVERY }: OneShotOptions): Promise<WriterStatus> {
  const status: WriterStatus = { state: 'closed', store: undefined, queued: 0, written: 0, dropped: 0, failures: 0, lastError: undefined, pruned: 0 };
  /** The rows this process writes itself: none once they are pending (the open below folds them in). */
  let own = rows;
  if (foldEvery > 1 && !isPostgresUrl(target) && target !== ':memory:') {
    try {
      if (leavePending(target, rows) < foldEvery) return { ...status, store: target, written: rows.length };
      own = [];
    } catch {
      // No pending folder here (read-only, full): the rows go into the database below.
    }
  }
  let store: LogStore | undefined;
  for (let wait = 100; ; wait *= 2) {
    try {
      store ??= await open(target, deadline);
      if (own.length) await beforeDeadline(store.insert(own), deadline);
      status.written = rows.length;
      break;
    } catch (error) {
      status.failures += 1;
      status.lastError = error instanceof Error ? error.message : String(error);
      if (error instanceof SchemaTooNewError || Date.now() + wait >= deadline) {
        status.state = error instanceof SchemaTooNewError ? 'failed' : 'closed';
        // Pending rows are not lost: they wait for a fold that can write them.
        status.dropped = own.length;
        const fate = error instanceof SchemaTooNewError ? 'calls are not logged' : `${own.length} row(s) not logged`;
        notice(onNotice, own.length ? `request log: ${status.lastError}; ${fate}` : waitingNotice(target, status.lastError));
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  if (store) {
    status.store = store.where;
    const { unreadable = 0, error: foldError } = (store as Partial<SqliteLogStore>).folded ?? {};
    if (unreadable) notice(onNotice, `request log: ${unreadable} pending file(s) in ${pendingDir(target)} could not be read (cut short by a crash, or holding values the log refuses) and were removed`);
    // The rows are not lost, but a log that never takes them must be said: every call past the threshold tries again.
    if (foldError) notice(onNotice, waitingNotice(target, foldError));
    // A process that lives for one call never reaches a retention timer: one small batch each time it writes
    // instead (an index range that is empty on most calls, ~0.1 ms).
    if (status.written && retentionDays > 0) status.pruned = await prune(store, Date.now() - retentionDays * DAY_MS, deadline);
    // Closed here: the WAL's checkpoint costs ~1.3 ms, and ~2.2 ms when Node's own teardown closes it (measured).
    // Leaving it open and ending the process with process.exit() from an 'exit' handler saved that, but
    // process.exit() can deadlock in Node's platform shutdown while V8's background compiler waits for a garbage
    // collection: a call hung after printing its answer (a 192 MiB upload, under load). Pending rows spare most
    // calls the open and the close.
    await beforeDeadline(store.close(), Math.max(deadline, Date.now() + 50)).catch(() => {});
  }
  return status;
}

async function open(target: string, deadline: number): Promise<LogStore> {
  const opening = isPostgresUrl(target)
    ? import('./postgres-store.ts').then((pg) => pg.openPostgresStore(target))
    : import('./sqlite-store.ts').then((sqlite) => sqlite.openSqliteStore(target));
  try {
    return await beforeDeadline(opening, deadline);
  } catch (error) {
    // An open that lands after the deadline is closed then, so that no connection holds the process.
    void opening.then((late) => late.close()).catch(() => {});
    throw error;
  }
}

async function prune(store: LogStore, before: number, deadline: number): Promise<number> {
  try {
    const gone = await beforeDeadline(store.prune(before, PRUNE_BATCH), deadline);
    if (gone > 0) await beforeDeadline(store.compact(), deadline);
    return gone;
  } catch {
    return 0;
  }
}

/** The promise, or a rejection at the deadline (a database that never answers must not hold the process). */
function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), Math.max(0, deadline - Date.now()))));
  return Promise.race([promise, timeUp]).finally(() => clearTimeout(timer));
}

function notice(onNotice: ((message: string) => void) | undefined, message: string): void {
  try {
    onNotice?.(message);
  } catch {
    // A broken notice sink must not fail the call.
  }
}
