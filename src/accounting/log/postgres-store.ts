// The shared request log: PostgreSQL through the `pg` driver, which is imported only when a log is in PostgreSQL.
import type { Pool, PoolClient } from 'pg';
import { LogStoreError, schemaTooNew, type LogFilter, type LogStore, type StatsInput } from './store.ts';
import { MIGRATIONS, SCHEMA_TABLE, SCHEMA_VERSION } from './migrations.ts';
import { COLUMNS, idPrefix, rowFrom, rowValues, STATS_COLUMNS, statsInputFrom, uniqueRow, whereOf } from './sql.ts';
import type { RequestRow } from './row.ts';

const placeholder = (n: number): string => `$${n}`;
/** Serialises migrations between replicas that open the same database at once. */
const MIGRATION_LOCK = 7_400_118;
const ROWS_PER_STATEMENT = 1_000;

/** The URL for messages: never its password. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openPostgresStore(url: string, options: { connectTimeoutMs?: number } = {}): Promise<LogStore> {
  const where = describePostgresUrl(url);
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000, idleTimeoutMillis: 10_000 });
  // An idle connection dropped by a restarting server is the pool's to replace, never the process's end.
  pool.on('error', () => {});
  try {
    await migrate(pool, where);
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof LogStoreError) throw error;
    throw new LogStoreError(`cannot open the request log ${where}: ${(error as Error).message}`, { cause: error });
  }
  return new PostgresStore(pool, where);
}

async function migrate(pool: Pool, where: string): Promise<void> {
  await transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(SCHEMA_TABLE);
    const found = Number((await client.query<{ version: number }>('SELECT version FROM llmpass_schema')).rows[0]?.version ?? 0);
    if (found > SCHEMA_VERSION) throw schemaTooNew(where, found, SCHEMA_VERSION);
    for (const step of MIGRATIONS) if (step.version > found) await client.query(step.postgres);
    if (found === 0) await client.query('INSERT INTO llmpass_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    else if (found < SCHEMA_VERSION) await client.query('UPDATE llmpass_schema SET version = $1', [SCHEMA_VERSION]);
  });
}

async function transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** pg sends Buffers as bytea; a plain Uint8Array is wrapped without a copy. */
const pgValue = (value: string | number | Uint8Array | null): unknown =>
  value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;

/** The multi-row INSERT for `count` rows; the few batch sizes a writer uses are built once each. */
const inserts = new Map<number, string>();
function insertSql(count: number): string {
  let sql = inserts.get(count);
  if (sql === undefined) {
    const tuples = Array.from({ length: count }, (_, row) => `(${COLUMNS.map((_, i) => placeholder(row * COLUMNS.length + i + 1)).join(', ')})`);
    sql = `INSERT INTO llmpass_requests (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`;
    if (inserts.size >= 32) inserts.delete(inserts.keys().next().value!);
    inserts.set(count, sql);
  }
  return sql;
}

class PostgresStore implements LogStore {
  readonly kind = 'postgres';

  private readonly pool: Pool;
  readonly where: string;

  constructor(pool: Pool, where: string) {
    this.pool = pool;
    this.where = where;
  }

  async insert(rows: readonly RequestRow[]): Promise<void> {
    try {
      // A statement takes at most 65,535 parameters: a large batch goes in slices.
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) await this.#insertSlice(rows.slice(start, start + ROWS_PER_STATEMENT));
    } catch (error) {
      throw new LogStoreError(`cannot write to the request log ${this.where}: ${(error as Error).message}`, { cause: error });
    }
  }

  async #insertSlice(rows: readonly RequestRow[]): Promise<void> {
    const values: unknown[] = [];
    for (const row of rows) for (const value of rowValues(row)) values.push(pgValue(value));
    await this.pool.query(insertSql(rows.length), values);
  }

  async list(filter: LogFilter): Promise<RequestRow[]> {
    const { where, values } = whereOf(filter, placeholder);
    const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.trunc(filter.limit)}`;
    const { rows } = await this.pool.query(`SELECT * FROM llmpass_requests ${where} ORDER BY started_at DESC, id DESC${limit}`, values);
    return rows.map(rowFrom);
  }

  async get(id: string): Promise<RequestRow | undefined> {
    const { rows } =
      id === 'last'
        ? await this.pool.query('SELECT * FROM llmpass_requests ORDER BY started_at DESC, id DESC LIMIT 1')
        : await this.pool.query("SELECT * FROM llmpass_requests WHERE id LIKE $1 || '%' LIMIT 2", [idPrefix(id)]);
    return uniqueRow(rows, id);
  }

  async statsInput(filter: LogFilter): Promise<StatsInput[]> {
    const { where, values } = whereOf(filter, placeholder);
    const { rows } = await this.pool.query(`SELECT ${STATS_COLUMNS} FROM llmpass_requests ${where}`, values);
    return rows.map(statsInputFrom);
  }

  async prune(before: number, batch: number): Promise<number> {
    const result = await this.pool.query(
      'DELETE FROM llmpass_requests WHERE id IN (SELECT id FROM llmpass_requests WHERE started_at < $1 LIMIT $2)',
      [before, batch],
    );
    return result.rowCount ?? 0;
  }

  async compact(): Promise<void> {
    // autovacuum reclaims PostgreSQL's dead rows.
  }

  async schemaVersion(): Promise<number> {
    return Number((await this.pool.query<{ version: number }>('SELECT version FROM llmpass_schema')).rows[0]?.version ?? 0);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}
