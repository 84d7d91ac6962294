// The SQL both stores share: column order, a row's values, a row read back, and the WHERE of a filter. Only the
// placeholder spelling differs (`?` in SQLite, `$1` in PostgreSQL).
import { UsageError } from '../../errors.ts';
import type { Face, RequestRow } from './row.ts';
import { LogStoreError, type LogFilter, type StatsInput } from './store.ts';

export const COLUMNS = [
  'id', 'started_at', 'face', 'alias', 'deployment', 'provider', 'model', 'method', 'endpoint', 'status', 'error_code',
  'attempts', 'duration_ms', 'ttfb_ms', 'bytes_in', 'bytes_out', 'input_tokens', 'output_tokens', 'cache_read_tokens',
  'cache_write_tokens', 'reasoning_tokens', 'cost', 'key_alias', 'replay_of', 'request_headers', 'request_body',
  'request_body_truncated', 'response_body', 'response_body_truncated',
] as const;

export const STATS_COLUMNS = 'started_at, alias, key_alias, status, error_code, duration_ms, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost';

export type SqlValue = string | number | Uint8Array | null;

export function rowValues(row: RequestRow): SqlValue[] {
  const t = row.tokens;
  return [
    row.id, row.time, row.face, row.alias, row.deployment, row.provider, row.model, row.method, row.endpoint, row.status,
    row.errorCode, row.attempts, row.durationMs, row.ttfbMs, row.bytesIn, row.bytesOut, t.input ?? null, t.output ?? null,
    t.cacheRead ?? null, t.cacheWrite ?? null, t.reasoning ?? null, row.cost, row.keyAlias, row.replayOf,
    row.requestHeaders ? JSON.stringify(row.requestHeaders) : null, row.requestBody, row.requestBodyTruncated ? 1 : 0,
    row.responseBody, row.responseBodyTruncated ? 1 : 0,
  ];
}

type Record_ = Record<string, unknown>;

// PostgreSQL's BIGINT arrives as text; SQLite's INTEGER as a number.
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const tokens = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value));
const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
// One type from both drivers (pg hands back Buffers): a plain Uint8Array over the same memory.
const bytes = (value: unknown): Uint8Array | null => (value instanceof Uint8Array ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : null);

function statsFrom(r: Record_): StatsInput {
  return {
    time: Number(r.started_at),
    alias: text(r.alias),
    keyAlias: text(r.key_alias),
    status: num(r.status),
    errorCode: text(r.error_code),
    durationMs: Number(r.duration_ms),
    tokens: {
      input: tokens(r.input_tokens),
      output: tokens(r.output_tokens),
      cacheRead: tokens(r.cache_read_tokens),
      cacheWrite: tokens(r.cache_write_tokens),
      reasoning: tokens(r.reasoning_tokens),
    },
    cost: num(r.cost),
  };
}

export { statsFrom as statsInputFrom };

export function rowFrom(r: Record_): RequestRow {
  return {
    ...statsFrom(r),
    id: String(r.id),
    face: String(r.face) as Face,
    deployment: text(r.deployment),
    provider: text(r.provider),
    model: text(r.model),
    method: String(r.method),
    endpoint: String(r.endpoint),
    attempts: Number(r.attempts),
    ttfbMs: num(r.ttfb_ms),
    bytesIn: num(r.bytes_in),
    bytesOut: num(r.bytes_out),
    replayOf: text(r.replay_of),
    requestHeaders: typeof r.request_headers === 'string' ? (JSON.parse(r.request_headers) as Array<[string, string]>) : null,
    requestBody: bytes(r.request_body),
    requestBodyTruncated: Number(r.request_body_truncated) === 1,
    responseBody: bytes(r.response_body),
    responseBodyTruncated: Number(r.response_body_truncated) === 1,
  };
}

/** The WHERE clause and its values for a filter; `placeholder(n)` spells the n-th parameter (1-based). */
export function whereOf(filter: LogFilter, placeholder: (n: number) => string): { where: string; values: SqlValue[] } {
  const clauses: string[] = [];
  const values: SqlValue[] = [];
  const add = (clause: string, value?: SqlValue): void => {
    if (value !== undefined) values.push(value);
    clauses.push(clause.replace('?', () => placeholder(values.length)));
  };
  if (filter.alias !== undefined) add('alias = ?', filter.alias);
  if (filter.since !== undefined) add('started_at >= ?', filter.since);
  if (filter.until !== undefined) add('started_at < ?', filter.until);
  if (filter.status !== undefined) {
    const status = filter.status.toLowerCase();
    if (status === 'ok') add('status BETWEEN 200 AND 299');
    else if (status === 'error') add('(status IS NULL OR status >= 400 OR error_code IS NOT NULL)');
    else if (/^[1-5]xx$/.test(status)) add(`status BETWEEN ${status[0]}00 AND ${status[0]}99`);
    else if (/^[1-5]\d\d$/.test(status)) add('status = ?', Number(status));
    else throw new UsageError(`--status "${filter.status}": give a status (429), a class (5xx), ok or error`);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', values };
}

/** Ids are UUIDs: anything else names no row (and cannot smuggle a LIKE pattern). */
export function idPrefix(id: string): string {
  return /^[0-9a-f-]+$/i.test(id) ? id.toLowerCase() : '-none-';
}

/** The one row an id or id prefix names; an ambiguous prefix is the user's to lengthen. */
export function uniqueRow(records: Array<Record<string, unknown>>, id: string): RequestRow | undefined {
  if (records.length > 1) throw new LogStoreError(`"${id}" names more than one call: give more of its id`);
  return records[0] ? rowFrom(records[0]) : undefined;
}
