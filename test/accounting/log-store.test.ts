// The request log's one suite, run against both stores: SQLite in a temp dir and a real PostgreSQL cluster
// (test/support/postgres.ts). Nothing is mocked: rows go through the writer into the real database and back.
// Rows are dated 2026-01-15 (T0): writers that do not test retention keep every row (retentionDays: 0).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { openLogStore } from '../../src/accounting/log/open.ts';
import { capBody, maskHeaders, BODY_CAP } from '../../src/accounting/log/row.ts';
import { SCHEMA_VERSION } from '../../src/accounting/log/migrations.ts';
import { SchemaTooNewError, type LogStore } from '../../src/accounting/log/store.ts';
import { LogWriter } from '../../src/accounting/log/writer.ts';
import { usageOf } from '../../src/accounting/usage.ts';
import { until } from '../support/cli.ts';
import { logRow, logRows, T0 } from '../support/log-rows.ts';
import { POSTGRES_MISSING, postgresInstalled, runSql, usePostgres } from '../support/postgres.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

interface Backend {
  name: 'sqlite' | 'sqlite on its own thread' | 'postgres';
  /** The proxy's way: the SQLite file written from a worker thread (log/sqlite-thread.ts). */
  thread?: boolean;
  /** A fresh, empty log for one test. */
  target(): Promise<string>;
  /** Runs raw SQL against a target, as another program would. */
  sql(target: string, text: string): Promise<void>;
}

const pgServer = usePostgres();

const sqlite: Backend = {
  name: 'sqlite',
  target: async () => join(tempDir(), 'state', 'llmpass', 'logs.db'),
  sql: async (target, text) => {
    const db = new DatabaseSync(target);
    db.exec(text);
    db.close();
  },
};

const sqliteThread: Backend = { ...sqlite, name: 'sqlite on its own thread', thread: true };

const postgres: Backend = {
  name: 'postgres',
  target: () => pgServer.database('log'),
  sql: runSql,
};

if (!postgresInstalled()) console.warn(`skipping the PostgreSQL half of the request log suite: ${POSTGRES_MISSING}`);
const backends = postgresInstalled() ? [sqlite, sqliteThread, postgres] : [sqlite, sqliteThread];

afterAll(() => cleanupTemp());

async function withStoreOf<T>(target: string, use: (store: LogStore) => Promise<T>, thread = false): Promise<T> {
  const store = await openLogStore(target, { thread });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

describe.each(backends)('request log in $name', (backend) => {
  const withStore = <T>(target: string, use: (store: LogStore) => Promise<T>) => withStoreOf(target, use, backend.thread);
  it('keeps every field of a row, unknown tokens and an unpriced cost as null', async () => {
    const target = await backend.target();
    const full = logRow({ tokens: usageOf({ input: 1000, output: 50, cacheRead: 200, cacheWrite: 100, reasoning: 20 }), replayOf: 'abc', keyAlias: 'team-a' });
    const bare = logRow({ time: T0 + 1, status: null, errorCode: 'LLMPASS_NETWORK', tokens: usageOf({}), cost: null, ttfbMs: null, bytesOut: null, requestHeaders: null, requestBody: null, responseBody: null });
    await withStore(target, async (store) => {
      await store.insert([full, bare]);
      const [second, first] = await store.list({});
      expect(first).toEqual({ ...full, requestBody: new Uint8Array(full.requestBody!), responseBody: new Uint8Array(full.responseBody!) });
      expect(second).toEqual(bare);
      expect(second!.tokens.input).toBeUndefined();
      expect(second!.cost).toBeNull();
    });
  });

  it('skips a row whose id is already stored (a retried batch never doubles)', async () => {
    const target = await backend.target();
    const row = logRow();
    await withStore(target, async (store) => {
      await store.insert([row]);
      await store.insert([row, logRow({ time: T0 + 5 })]);
      expect(await store.list({})).toHaveLength(2);
    });
  });

  it('filters by alias, status, time and limit, latest first', async () => {
    const target = await backend.target();
    await withStore(target, async (store) => {
      await store.insert([
        logRow({ time: T0, alias: 'chat', status: 200 }),
        logRow({ time: T0 + 1000, alias: 'embed', status: 200 }),
        logRow({ time: T0 + 2000, alias: 'chat', status: 429 }),
        logRow({ time: T0 + 3000, alias: 'chat', status: 503 }),
        logRow({ time: T0 + 4000, alias: 'chat', status: null, errorCode: 'LLMPASS_TIMEOUT' }),
      ]);
      const times = async (filter: Parameters<LogStore['list']>[0]): Promise<number[]> => (await store.list(filter)).map((row) => (row.time - T0) / 1000);
      expect(await times({})).toEqual([4, 3, 2, 1, 0]);
      expect(await times({ alias: 'chat' })).toEqual([4, 3, 2, 0]);
      expect(await times({ status: '429' })).toEqual([2]);
      expect(await times({ status: '5xx' })).toEqual([3]);
      expect(await times({ status: 'error' })).toEqual([4, 3, 2]);
      expect(await times({ status: 'ok' })).toEqual([1, 0]);
      expect(await times({ since: T0 + 1000, until: T0 + 3000 })).toEqual([2, 1]);
      expect(await times({ limit: 2 })).toEqual([4, 3]);
      await expect(store.list({ status: 'bad' })).rejects.toThrow(/--status "bad"/);
    });
  });

  it('finds one row by id, by a unique prefix, and `last`', async () => {
    const target = await backend.target();
    const rows = logRows(3);
    await withStore(target, async (store) => {
      await store.insert(rows);
      expect((await store.get(rows[1]!.id))?.id).toBe(rows[1]!.id);
      expect((await store.get(rows[1]!.id.slice(-36).toUpperCase()))?.id).toBe(rows[1]!.id);
      expect((await store.get('last'))?.id).toBe(rows[2]!.id);
      expect(await store.get('00000000-0000-7000-8000-000000000000')).toBeUndefined();
      expect(await store.get("x' OR 1=1 --")).toBeUndefined();
      // Rows made in one millisecond share their first 12 hex digits.
      await expect(store.get(rows[0]!.id.slice(0, 4))).rejects.toThrow(/more than one call/);
    });
  });

  it('applies migrations once: reopening keeps the version and the rows', async () => {
    const target = await backend.target();
    await withStore(target, (store) => store.insert(logRows(2)));
    const [a, b] = await Promise.all([openLogStore(target, { thread: backend.thread }), openLogStore(target, { thread: backend.thread })]);
    expect(await a.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(await b.list({})).toHaveLength(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a log migrated by a newer llmpass, and the writer stops trying', async () => {
    const target = await backend.target();
    await withStore(target, (store) => store.insert(logRows(1)));
    await backend.sql(target, `UPDATE llmpass_schema SET version = ${SCHEMA_VERSION + 1}`);
    const refusal = await openLogStore(target, { thread: backend.thread }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SchemaTooNewError);
    expect((refusal as Error).message).toMatch(new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this llmpass knows \\(${SCHEMA_VERSION}\\): upgrade llmpass`));
    expect((refusal as Error).message).not.toMatch(/:[^@/]*@/);
    const notices: string[] = [];
    const writer = new LogWriter({ open: () => openLogStore(target, { thread: backend.thread }), retentionDays: 0, onNotice: (line) => notices.push(line), retryMinMs: 1 });
    for (const row of logRows(3)) writer.record(row);
    await writer.flush();
    expect(writer.status()).toMatchObject({ state: 'failed', written: 0, dropped: 3, queued: 0 });
    writer.record(logRow());
    expect((await writer.close()).dropped).toBe(4);
    expect(notices.join('\n')).toMatch(/newer than this llmpass knows/);
  });

  it('writes 10,000 recorded rows in batches, none lost', async () => {
    const target = await backend.target();
    const writer = new LogWriter({ open: () => openLogStore(target, { thread: backend.thread }), retentionDays: 0, capacity: 20_000 });
    const rows = logRows(10_000);
    for (const row of rows) writer.record(row);
    const status = await writer.close(60_000);
    expect(status).toMatchObject({ state: 'closed', written: 10_000, dropped: 0, queued: 0 });
    await withStore(target, async (store) => expect(await store.list({})).toHaveLength(10_000));
  });

  it('deletes rows past retention in batches, keeps the rest', async () => {
    const target = await backend.target();
    const now = T0 + 40 * 86_400_000;
    await withStore(target, (store) => store.insert([...logRows(2_500, T0), ...logRows(3, now - 86_400_000)]));
    const writer = new LogWriter({ open: () => openLogStore(target, { thread: backend.thread }), retentionDays: 30, now: () => now });
    writer.record(logRow({ time: now }));
    await writer.flush();
    // The first pass after opening may already have run: count what both passes removed.
    await writer.prune();
    expect(writer.status().pruned).toBe(2_500);
    await writer.close();
    await withStore(target, async (store) => expect(await store.list({})).toHaveLength(4));
  });

  it('record() never throws and counts what it drops once closed', async () => {
    const target = await backend.target();
    const writer = new LogWriter({ open: () => openLogStore(target, { thread: backend.thread }), retentionDays: 0 });
    writer.record(logRow());
    await writer.close();
    expect(() => writer.record(logRow())).not.toThrow();
    expect(writer.status()).toMatchObject({ written: 1, dropped: 1 });
  });
});

describe('SQLite specifics', () => {
  it('creates the file where asked, in WAL mode', async () => {
    const target = join(tempDir(), 'deep', 'er', 'logs.db');
    await withStoreOf(target, async () => {});
    expect(existsSync(target)).toBe(true);
    const db = new DatabaseSync(target);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
  });

  it('opens a file at the current schema without a write lock (another process may be writing)', async () => {
    const target = await sqlite.target();
    await withStoreOf(target, (store) => store.insert(logRows(1, T0)));
    const writer = new DatabaseSync(target);
    writer.exec('BEGIN IMMEDIATE');
    try {
      // Before, every open took BEGIN IMMEDIATE to migrate: it waited out the busy timeout here and failed.
      await withStoreOf(target, async (store) => expect(await store.list({})).toHaveLength(1));
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('gives the pages of pruned rows back (the file does not grow without bound)', async () => {
    const target = await sqlite.target();
    const big = Buffer.alloc(100_000, 'x');
    await withStoreOf(target, (store) => store.insert(logRows(100, T0, { responseBody: big })));
    const pages = (): number => {
      const db = new DatabaseSync(target);
      const { page_count: count } = db.prepare('PRAGMA page_count').get() as { page_count: number };
      db.close();
      return count;
    };
    const full = pages();
    const now = T0 + 10 * 86_400_000;
    const writer = new LogWriter({ open: () => openLogStore(target), retentionDays: 1, now: () => now });
    writer.record(logRow({ time: now }));
    await writer.flush();
    await writer.prune();
    await writer.close();
    expect(pages()).toBeLessThan(full / 10);
  });

  it('an unopenable file is retried in the background until it opens, nothing lost', async () => {
    const dir = tempDir();
    // A file where the log's directory should be: mkdir fails until it is moved away.
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(join(dir, 'state'), 'not a directory');
    const target = join(dir, 'state', 'logs.db');
    const notices: string[] = [];
    const writer = new LogWriter({ open: () => openLogStore(target), retentionDays: 0, retryMinMs: 5, retryMaxMs: 20, flushMs: 1, onNotice: (line) => notices.push(line) });
    for (const row of logRows(50)) writer.record(row);
    await until(() => writer.status().failures >= 2, 30_000);
    expect(writer.status()).toMatchObject({ state: 'retrying', queued: 50, written: 0 });
    rmSync(join(dir, 'state'));
    await until(() => writer.status().written === 50, 30_000);
    expect((await writer.close()).dropped).toBe(0);
    expect(notices.join('\n')).toMatch(/cannot open the request log .*retried[\s\S]*is back/);
  });
});

describe('rows safe to store', () => {
  it('masks every credential header, whatever its name', () => {
    expect(
      maskHeaders([
        ['Authorization', 'Bearer sk-live'],
        ['x-api-key', 'k'],
        ['X-Goog-Api-Key', 'g'],
        ['x-amz-security-token', 't'],
        ['x-custom-token', 't'],
        ['content-type', 'application/json'],
      ]),
    ).toEqual([
      ['authorization', '***'],
      ['x-api-key', '***'],
      ['x-goog-api-key', '***'],
      ['x-amz-security-token', '***'],
      ['x-custom-token', '***'],
      ['content-type', 'application/json'],
    ]);
  });

  it('caps a body at 1 MiB and says so', () => {
    expect(capBody('{}')).toEqual({ body: Buffer.from('{}'), truncated: false });
    const cut = capBody(Buffer.alloc(BODY_CAP + 10, 'a'));
    expect(cut.truncated).toBe(true);
    expect(cut.body!.byteLength).toBe(BODY_CAP);
    expect(capBody(undefined)).toEqual({ body: null, truncated: false });
  });
});
