import { LlmpassError } from '../../errors.ts';
import type { RequestRow } from './row.ts';

/** What `llmpass logs` asks for; every field optional. Times are epoch milliseconds. */
export interface LogFilter {
  alias?: string | undefined;
  /** An HTTP status (`429`), a class (`5xx`), `error` (no answer or >= 400) or `ok` (2xx). */
  status?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  limit?: number | undefined;
}

/** The columns `logs stats` aggregates (bodies and headers left out). */
export type StatsInput = Pick<RequestRow, 'time' | 'alias' | 'keyAlias' | 'status' | 'errorCode' | 'durationMs' | 'tokens' | 'cost'>;

/**
 * One request log, SQLite or PostgreSQL. Both pass the same suite (test/accounting/log-store.test.ts); the writer
 * is the only caller of `insert` and `prune`.
 */
export interface LogStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it lives, for messages (a path, or a URL without its password). */
  readonly where: string;
  /** Inserts rows; a row whose id is already there is skipped, so a retried batch never doubles. */
  insert(rows: readonly RequestRow[]): Promise<void>;
  /** Latest first. */
  list(filter: LogFilter): Promise<RequestRow[]>;
  /** One row by id, or by a unique id prefix; `last` is the latest row. */
  get(id: string): Promise<RequestRow | undefined>;
  statsInput(filter: LogFilter): Promise<StatsInput[]>;
  /** Deletes up to `batch` rows older than `before`; returns how many went. */
  prune(before: number, batch: number): Promise<number>;
  /** Gives freed pages back to the file system (SQLite); a no-op elsewhere. */
  compact(): Promise<void>;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

/** The request log cannot be opened or written (a down database, a locked or unwritable file). */
export class LogStoreError extends LlmpassError {
  override readonly code: string = 'LLMPASS_LOG_STORE';
}

/** The store was migrated by a newer llmpass; this one must not write to it. Permanent: not retried. */
export class SchemaTooNewError extends LogStoreError {
  override readonly code = 'LLMPASS_LOG_SCHEMA_TOO_NEW';
  override readonly exitCode = 2;
}

export function schemaTooNew(where: string, found: number, known: number): SchemaTooNewError {
  return new SchemaTooNewError(
    `the request log at ${where} has schema version ${found}, newer than this llmpass knows (${known}): upgrade llmpass, or use another log with --db or DATABASE_URL`,
  );
}
