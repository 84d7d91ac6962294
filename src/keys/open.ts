// Opens the key store in the request log's database (migrated by the log's own opening), SQLite or PostgreSQL.
import { isPostgresUrl, logTarget, openLogStore } from '../accounting/log/open.ts';
import type { RouterState } from '../router/state/types.ts';
import type { Secret } from '../secret.ts';
import { KeyGuard } from './guard.ts';
import { parseDuration } from './duration.ts';
import { SqlKeyStore, type KeyStore, type SqlAdapter } from './store.ts';

const period = (duration: string): number => parseDuration(duration, 'budget_duration');

export async function openKeyStore(target: string): Promise<KeyStore> {
  // The log's opening applies every migration (the keys table among them) under its lock.
  await (await openLogStore(target)).close();
  return new SqlKeyStore(isPostgresUrl(target) ? await postgresAdapter(target) : await sqliteAdapter(target), period);
}

async function sqliteAdapter(path: string): Promise<SqlAdapter> {
  const { DatabaseSync } = await import('node:sqlite');
  // As the request log: a busy file waits from the first statement, WAL so readers never block the writer, NORMAL
  // so a booking is not an fsync.
  const db = new DatabaseSync(path, { timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  return {
    kind: 'sqlite',
    all: async (sql, values) => db.prepare(sql).all(...values) as Array<Record<string, unknown>>,
    run: async (sql, values) => Number(db.prepare(sql).run(...values).changes),
    close: async () => {
      if (db.isOpen) db.close();
    },
  };
}

async function postgresAdapter(url: string): Promise<SqlAdapter> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  const numbered = (sql: string): string => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    kind: 'postgres',
    all: async (sql, values) => (await pool.query(numbered(sql), values as unknown[])).rows as Array<Record<string, unknown>>,
    run: async (sql, values) => (await pool.query(numbered(sql), values as unknown[])).rowCount ?? 0,
    close: () => pool.end().catch(() => {}),
  };
}

/**
 * The proxy's guard: keys live in the request log's database (DATABASE_URL, else the default SQLite file), their
 * rpm/tpm/parallel counts in the routing state (shared through Redis when configured, else per replica).
 */
export function defaultKeyGuard(masterKey: Secret | undefined, state: RouterState, env: NodeJS.ProcessEnv = process.env): KeyGuard {
  return new KeyGuard(masterKey, () => openKeyStore(logTarget({ env })), state);
}
