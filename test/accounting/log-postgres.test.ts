// The shared request log under stress, on a real PostgreSQL: a database killed mid-run costs no call (rows are
// kept and retried, and only those past the queue's bound are dropped, counted), and two writers (two proxies)
// writing to one database lose no row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLogStore } from '../../src/accounting/log/open.ts';
import { LogWriter } from '../../src/accounting/log/writer.ts';
import { until } from '../support/cli.ts';
import { logRows, T0 } from '../support/log-rows.ts';
import { POSTGRES_MISSING, postgresInstalled, startPostgres, type PostgresServer } from '../support/postgres.ts';

if (!postgresInstalled()) console.warn(`skipping the PostgreSQL request log tests: ${POSTGRES_MISSING}`);

describe.skipIf(!postgresInstalled())('request log in PostgreSQL', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);

  afterAll(async () => {
    await server?.remove();
  });

  async function count(): Promise<number> {
    const store = await openLogStore(server.url);
    try {
      return (await store.list({})).length;
    } finally {
      await store.close();
    }
  }

  async function clear(): Promise<void> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query('DELETE FROM llmpass_requests');
    await client.end();
  }

  it('a killed database loses no call: rows wait and are retried, only those past the bound are dropped', async () => {
    const notices: string[] = [];
    const writer = new LogWriter({
      open: () => openLogStore(server.url),
      capacity: 1_000,
      batchSize: 100,
      flushMs: 5,
      retryMinMs: 10,
      retryMaxMs: 100,
      retentionDays: 0,
      onNotice: (line) => notices.push(line),
    });
    for (const row of logRows(300, T0)) writer.record(row);
    await until(() => writer.status().written === 300, 30_000);

    await server.stop();
    // Calls go on while the database is down: record() takes every row without throwing or waiting.
    for (const row of logRows(1_500, T0 + 1_000)) expect(() => writer.record(row)).not.toThrow();
    await until(() => writer.status().failures >= 2, 30_000);
    expect(writer.status()).toMatchObject({ state: 'retrying', queued: 1_000, dropped: 500, written: 300 });
    expect(writer.status().lastError).toMatch(/request log postgres:\/\/postgres@127\.0\.0\.1/);

    await server.start();
    await until(() => writer.status().queued === 0, 60_000);
    const status = await writer.close(10_000);
    expect(status).toMatchObject({ written: 1_300, dropped: 500, queued: 0 });
    expect(await count()).toBe(1_300);
    const said = notices.join('\n');
    expect(said).toMatch(/retried/);
    expect(said).toMatch(/queue full \(1000 rows\)/);
    expect(said).toMatch(/is back after \d+ failed attempts/);
    expect(said).toMatch(/500 rows were dropped while the queue was full/);
  }, 180_000);

  it('close() with the database down gives up at its deadline and counts what it could not write', async () => {
    const writer = new LogWriter({ open: () => openLogStore(server.url), flushMs: 1, retryMinMs: 10, retryMaxMs: 50, retentionDays: 0 });
    writer.record(logRows(1, T0 + 5_000_000)[0]!);
    await until(() => writer.status().written === 1, 30_000);
    await server.stop();
    try {
      for (const row of logRows(20, T0 + 6_000_000)) writer.record(row);
      const status = await writer.close(300);
      expect(status).toMatchObject({ written: 1, dropped: 20, queued: 0 });
    } finally {
      await server.start();
    }
  }, 60_000);

  it('two writers to one database lose no row', async () => {
    await clear();
    const writers = [0, 1].map(() => new LogWriter({ open: () => openLogStore(server.url), capacity: 20_000, batchSize: 500, flushMs: 1, retentionDays: 0 }));
    const perWriter = 5_000;
    const rows = writers.map((_, i) => logRows(perWriter, T0 + i * 1_000_000));
    // Interleaved, as two proxies serving at once.
    for (let i = 0; i < perWriter; i++) for (const [w, writer] of writers.entries()) writer.record(rows[w]![i]!);
    const statuses = await Promise.all(writers.map((writer) => writer.close(60_000)));
    for (const status of statuses) expect(status).toMatchObject({ written: perWriter, dropped: 0, queued: 0 });
    expect(await count()).toBe(2 * perWriter);
  }, 180_000);
});
