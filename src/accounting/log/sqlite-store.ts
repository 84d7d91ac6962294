// The embedded request log: one SQLite file through Node's built-in node:sqlite (no native package to install).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { LogStoreError, schemaTooNew, type LogFilter, type LogStore, type StatsInput } from './store.ts';
import { MIGRATIONS, SCHEMA_TABLE, SCHEMA_VERSION } from './migrations.ts';
import { COLUMNS, idPrefix, rowFrom, rowValues, STATS_COLUMNS, statsInputFrom, uniqueRow, whereOf, type SqlValue } from './sql.ts';
import type { RequestRow } from './row.ts';
import { pendingBatches, removePending } from './pending.ts';

const placeholder = (): string => '?';

export async function openSqliteStore(path: string): Promise<SqliteLogStore> {
  // Node 22/24 mark node:sqlite experimental and say so once on stderr; the warning is not the user's business.
  // getBuiltinModule, not import(): the ES module wrapper of a built-in costs a one-shot call ~0.7 ms (measured).
  const { DatabaseSync } = withoutSqliteWarning(() => process.getBuiltinModule('node:sqlite'));
  let db: DatabaseSync;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // A busy file waits a little instead of failing at once, from the first statement on: several one-shot calls
    // opening the file together (a shell loop, parallel jobs) otherwise race for the journal-mode switch.
    db = new DatabaseSync(path, { timeout: 5000 });
    // Per connection; the rest is set once, when the file is made (journal_mode = WAL is stored in the file).
    db.exec('PRAGMA synchronous = NORMAL');
    // A file already at this version (every open but the first) is read, not locked for writing: a one-shot call
    // opens the log each time, and BEGIN IMMEDIATE with the pragmas cost it ~4 ms (more with calls in parallel).
    if (currentVersion(db) !== SCHEMA_VERSION) {
      // WAL: readers (`llmpass logs`) never block the writer; incremental auto-vacuum (set before the first table)
      // lets retention give pages back.
      db.exec('PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;');
      migrate(db, path);
    }
  } catch (error) {
    if (error instanceof LogStoreError) throw error;
    throw new LogStoreError(`cannot open the request log ${path}: ${(error as Error).message}`, { cause: error });
  }
  const store = new SqliteStore(db, path);
  if (path !== ':memory:') store.folded = store.foldPending();
  return store;
}

/** The schema version the file is at, read without a write lock; 0 for a file without the table (a new one). */
function currentVersion(db: DatabaseSync): number {
  try {
    return (db.prepare('SELECT version FROM llmpass_schema').get() as { version: number } | undefined)?.version ?? 0;
  } catch {
    // No such table: a new file (anything else shows again, and clearly, in migrate()).
    return 0;
  }
}

/** Applies the steps past the file's version under a write lock (several processes may open a new file at once). */
function migrate(db: DatabaseSync, path: string): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(SCHEMA_TABLE);
    const found = (db.prepare('SELECT version FROM llmpass_schema').get() as { version: number } | undefined)?.version ?? 0;
    if (found > SCHEMA_VERSION) throw schemaTooNew(path, found, SCHEMA_VERSION);
    for (const step of MIGRATIONS) if (step.version > found) db.exec(step.sqlite);
    if (found === 0) db.prepare('INSERT INTO llmpass_schema (version) VALUES (?)').run(SCHEMA_VERSION);
    else if (found < SCHEMA_VERSION) db.prepare('UPDATE llmpass_schema SET version = ?').run(SCHEMA_VERSION);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** The SQLite store, which also takes rows already turned into their column values (from log/sqlite-thread.ts). */
export interface SqliteLogStore extends LogStore {
  insertValues(rows: readonly SqlValue[][]): Promise<void>;
  /** What the open took in from the pending folder (log/pending.ts). */
  readonly folded: Folded;
  /** Takes in the pending folder's rows now, up to `maxBytes` of files per transaction. */
  foldPending(maxBytes?: number): Folded;
}

export interface Folded {
  rows: number;
  /** Files removed without their rows: cut short by a crash, or holding values the database refuses. */
  unreadable: number;
  /** Why nothing was folded this time (the files wait for the next open). */
  error?: string | undefined;
}

/** An error of one row's values (not of the database): a NOT NULL column null, a row too big, a value not bindable. */
function isRowFault(error: unknown): boolean {
  // A TypeError: a value node:sqlite cannot bind (ERR_INVALID_ARG_TYPE), or a row without its tokens.
  if (error instanceof TypeError) return true;
  const { errcode } = error as { errcode?: unknown };
  return errcode === SQLITE_CONSTRAINT_NOTNULL || errcode === SQLITE_TOOBIG;
}
const SQLITE_CONSTRAINT_NOTNULL = 1299;
const SQLITE_TOOBIG = 18;

class SqliteStore implements SqliteLogStore {
  readonly kind = 'sqlite';
  readonly #insert: StatementSync;
  folded: Folded = { rows: 0, unreadable: 0 };

  private readonly db: DatabaseSync;
  readonly where: string;

  constructor(db: DatabaseSync, where: string) {
    this.db = db;
    this.where = where;
    this.#insert = db.prepare(
      `INSERT INTO llmpass_requests (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(placeholder).join(', ')}) ON CONFLICT (id) DO NOTHING`,
    );
  }

  insert(rows: readonly RequestRow[]): Promise<void> {
    return this.insertValues(rows.map(rowValues));
  }

  /**
   * Takes in the rows one-shot calls left beside the file (log/pending.ts), so whatever reads the log next sees them.
   * A batch of files at a time (up to `maxBytes` read), each committed and its files removed before the next is
   * read. Each file in a savepoint: one whose values the INSERT refuses (a NOT NULL column null, a value that cannot
   * be bound) is removed and counted with the unreadable ones, or it would fail every fold after. A failure of the
   * database itself (a file locked past the busy timeout, read-only, full) leaves the files not yet folded for the
   * next open, and is said in `error`.
   */
  foldPending(maxBytes?: number): Folded {
    const folded: Folded = { rows: 0, unreadable: 0 };
    for (const batch of pendingBatches(this.where, maxBytes)) {
      const refused: string[] = [];
      if (batch.files.length) {
        try {
          this.db.exec('BEGIN IMMEDIATE');
        } catch (error) {
          return { ...folded, error: this.#cannotWrite(error) };
        }
        let rows = 0;
        try {
          for (const { file, rows: fileRows } of batch.files) {
            this.db.exec('SAVEPOINT pending_file');
            try {
              for (const row of fileRows) this.#insert.run(...rowValues(row));
              this.db.exec('RELEASE pending_file');
              rows += fileRows.length;
            } catch (error) {
              this.db.exec('ROLLBACK TO pending_file; RELEASE pending_file');
              if (!isRowFault(error)) throw error;
              refused.push(file);
            }
          }
          this.db.exec('COMMIT');
        } catch (error) {
          try {
            if (this.db.isTransaction) this.db.exec('ROLLBACK');
          } catch {
            // the connection is closed with the store; the files wait either way
          }
          return { ...folded, error: this.#cannotWrite(error) };
        }
        folded.rows += rows;
      }
      removePending([...batch.files.map(({ file }) => file), ...batch.unreadable, ...batch.gone]);
      folded.unreadable += batch.unreadable.length + refused.length;
    }
    return folded;
  }

  async insertValues(rows: readonly SqlValue[][]): Promise<void> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const values of rows) this.#insert.run(...values);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw new LogStoreError(this.#cannotWrite(error), { cause: error });
    }
  }

  async list(filter: LogFilter): Promise<RequestRow[]> {
    const { where, values } = whereOf(filter, placeholder);
    const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.trunc(filter.limit)}`;
    const records = this.db.prepare(`SELECT * FROM llmpass_requests ${where} ORDER BY started_at DESC, id DESC${limit}`).all(...values);
    return records.map((r) => rowFrom(r as Record<string, unknown>));
  }

  async get(id: string): Promise<RequestRow | undefined> {
    const records =
      id === 'last'
        ? this.db.prepare('SELECT * FROM llmpass_requests ORDER BY started_at DESC, id DESC LIMIT 1').all()
        : this.db.prepare("SELECT * FROM llmpass_requests WHERE id LIKE ? || '%' LIMIT 2").all(idPrefix(id));
    return uniqueRow(records as Array<Record<string, unknown>>, id);
  }

  async statsInput(filter: LogFilter): Promise<StatsInput[]> {
    const { where, values } = whereOf(filter, placeholder);
    return this.db.prepare(`SELECT ${STATS_COLUMNS} FROM llmpass_requests ${where}`).all(...values).map((r) => statsInputFrom(r as Record<string, unknown>));
  }

  async prune(before: number, batch: number): Promise<number> {
    // The oldest row first, through the index: on most opens nothing is old enough, and this is half the DELETE's cost.
    const oldest = this.db.prepare('SELECT MIN(started_at) AS at FROM llmpass_requests').get() as { at: number | null } | undefined;
    if (oldest?.at == null || oldest.at >= before) return 0;
    const result = this.db
      .prepare('DELETE FROM llmpass_requests WHERE id IN (SELECT id FROM llmpass_requests WHERE started_at < ? LIMIT ?)')
      .run(before, batch);
    return Number(result.changes);
  }

  async compact(): Promise<void> {
    // Every free page: the writer calls this after each small prune batch, so there are only that many.
    this.db.exec('PRAGMA incremental_vacuum');
  }

  #cannotWrite(error: unknown): string {
    return `cannot write to the request log ${this.where}: ${(error as Error).message}`;
  }

  async schemaVersion(): Promise<number> {
    return (this.db.prepare('SELECT version FROM llmpass_schema').get() as { version: number }).version;
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

function withoutSqliteWarning<T>(load: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite/i.test(text)) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emit;
  }
}
