// Rows a one-shot call leaves beside the SQLite file, and the open that folds them in.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { leavePending, pendingBatches, pendingDir } from '../../src/accounting/log/pending.ts';
import { writeRows } from '../../src/accounting/log/one-shot.ts';
import { openSqliteStore } from '../../src/accounting/log/sqlite-store.ts';
import { usageOf } from '../../src/accounting/usage.ts';
import { logRow } from '../support/log-rows.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

afterAll(cleanupTemp);

describe('pending rows', () => {
  it('come back as they were left: bodies byte for byte (binary, empty, none), unknown tokens unknown', () => {
    const path = join(tempDir(), 'logs.db');
    const rows = [
      logRow({ requestBody: Buffer.from([0, 255, 10, 13, 0x7b]), responseBody: null, responseBodyTruncated: true }),
      logRow({ requestBody: Buffer.alloc(0), responseBody: Buffer.from('{"a":"\n"}'), tokens: usageOf({ input: 3 }), cost: null }),
    ];
    expect(leavePending(path, rows)).toBe(1);
    expect(leavePending(path, [logRow()])).toBe(2);
    const batches = [...pendingBatches(path, Number.POSITIVE_INFINITY)];
    expect(batches).toHaveLength(1);
    const pending = batches[0]!;
    expect(pending.unreadable).toEqual([]);
    expect(pending.files).toHaveLength(2);
    const back = pending.files.flatMap((file) => file.rows);
    expect(back).toHaveLength(3);
    expect(back.find((row) => row.id === rows[0]!.id)).toEqual({ ...rows[0], requestBody: Buffer.from([0, 255, 10, 13, 0x7b]) });
    expect(back.find((row) => row.id === rows[1]!.id)).toEqual(rows[1]);
  });

  it('are folded into the file by the next open, which removes what it took and what it cannot read', async () => {
    const path = join(tempDir(), 'logs.db');
    const dir = pendingDir(path);
    const kept = logRow();
    leavePending(path, [kept]);
    // Cut short (a power loss after the rename): its header promises more body than there is.
    leavePending(path, [logRow()]);
    const cut = readdirSync(dir).find((name) => !name.startsWith(kept.id))!;
    writeFileSync(join(dir, cut), readFileSync(join(dir, cut)).subarray(0, -3));
    // A temporary file: a call writing it now (kept), and one a dead process left long ago (removed).
    writeFileSync(join(dir, '.fresh.rows.tmp'), 'half');
    writeFileSync(join(dir, '.stale.rows.tmp'), 'half');
    utimesSync(join(dir, '.stale.rows.tmp'), new Date(0), new Date(0));

    const store = await openSqliteStore(path);
    try {
      expect(store.folded).toEqual({ rows: 1, unreadable: 2 });
      expect(await store.list({})).toEqual([{ ...kept, requestBody: new Uint8Array(kept.requestBody!), responseBody: new Uint8Array(kept.responseBody!) }]);
      expect(readdirSync(dir)).toEqual(['.fresh.rows.tmp']);
    } finally {
      await store.close();
    }
    // Folded twice (a second process read the same file before the first removed it): the row is there once.
    leavePending(path, [kept]);
    const again = await openSqliteStore(path);
    try {
      expect(again.folded.rows).toBe(1);
      expect(await again.list({})).toHaveLength(1);
    } finally {
      await again.close();
    }
  });

  it('are read and folded a batch at a time: a folder that grew while folds failed is never held in memory at once', async () => {
    const path = join(tempDir(), 'logs.db');
    const store = await openSqliteStore(path);
    try {
      const rows = [logRow(), logRow(), logRow()];
      for (const row of rows) leavePending(path, [row]);
      // A budget smaller than one file: a batch per file.
      expect([...pendingBatches(path, 1)].map((batch) => batch.files.length)).toEqual([1, 1, 1]);
      expect([...pendingBatches(path)].map((batch) => batch.files.length)).toEqual([3]);
      expect(store.foldPending(1)).toEqual({ rows: 3, unreadable: 0 });
      expect(readdirSync(pendingDir(path))).toEqual([]);
      expect((await store.list({})).map((row) => row.id).sort()).toEqual(rows.map((row) => row.id).sort());
    } finally {
      await store.close();
    }
  });

  it('of a newer llmpass are left for it, neither folded nor removed as unreadable', async () => {
    const path = join(tempDir(), 'logs.db');
    mkdirSync(pendingDir(path), { recursive: true });
    const newer = join(pendingDir(path), 'from-a-newer-llmpass.rows');
    writeFileSync(newer, `${JSON.stringify({ v: 2, rows: [{ id: 'x' }] })}\n`);
    const store = await openSqliteStore(path);
    try {
      expect(store.folded).toEqual({ rows: 0, unreadable: 0 });
      expect(existsSync(newer)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('need no folder: an open without one finds nothing and makes none', async () => {
    const path = join(tempDir(), 'logs.db');
    const store = await openSqliteStore(path);
    await store.close();
    expect(store.folded).toEqual({ rows: 0, unreadable: 0 });
    expect(existsSync(pendingDir(path))).toBe(false);
  });
});

describe('a pending file the database refuses', () => {
  it('is removed and counted, not retried by every open: the other files fold', async () => {
    const path = join(tempDir(), 'logs.db');
    const kept = logRow();
    leavePending(path, [kept]);
    // Valid JSON whose values the INSERT throws on: a NaN time (null in JSON, NOT NULL) and an alias that cannot be bound.
    leavePending(path, [logRow({ time: Number.NaN })]);
    leavePending(path, [logRow({ alias: { not: 'text' } as unknown as string })]);
    const store = await openSqliteStore(path);
    try {
      expect(store.folded).toEqual({ rows: 1, unreadable: 2 });
      expect((await store.list({})).map((row) => row.id)).toEqual([kept.id]);
      expect(readdirSync(pendingDir(path))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('a fold the database refuses', () => {
  it('leaves every file, and the call that folds says so in one line', async () => {
    const path = join(tempDir(), 'logs.db');
    await (await openSqliteStore(path)).close();
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(path);
    // A database that takes no row (as a read-only or full one would): its refusal is not a row's fault.
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON llmpass_requests BEGIN SELECT RAISE(ABORT, 'refused'); END");
    db.close();
    leavePending(path, [logRow()]);
    const notices: string[] = [];
    const status = await writeRows(path, [logRow()], { deadline: Date.now() + 2_000, foldEvery: 2, onNotice: (line) => notices.push(line) });
    expect(status.dropped).toBe(0);
    expect(notices).toEqual([expect.stringMatching(/^request log: cannot write to the request log .*logs\.db: refused; calls wait in .*logs\.db-pending$/)]);
    expect(readdirSync(pendingDir(path))).toHaveLength(2);
  });
});

describe('a pending file the system cuts short while it is written', () => {
  it('(a file-size limit, a full disk: a short write) is never renamed into place; leavePending throws, so the call writes its row itself', () => {
    const path = join(tempDir(), 'logs.db');
    const pending = pathToFileURL(fileURLToPath(new URL('../../src/accounting/log/pending.ts', import.meta.url))).href;
    const row = JSON.stringify(logRow({ requestBody: null, responseBody: null }));
    const script = `import { leavePending } from ${JSON.stringify(pending)};
      const row = { ...${row}, requestBody: Buffer.alloc(64 * 1024, 120), responseBody: null };
      try { leavePending(${JSON.stringify(path)}, [row]); console.log('left'); } catch (error) { console.log('threw', error.code); }`;
    // RLIMIT_FSIZE at 16 KiB with SIGXFSZ ignored: the kernel writes what fits and returns a short count.
    const child = spawnSync('sh', ['-c', 'trap "" XFSZ; ulimit -f 32; exec "$0" --input-type=module -e "$1"', process.execPath, script], { encoding: 'utf8' });
    expect(child.stdout.trim()).toBe('threw EFBIG');
    expect(readdirSync(pendingDir(path))).toEqual([]);
  });
});

describe('two folds at once', () => {
  it('a file the other fold removed between this one listing the folder and reading it is not called cut short', async () => {
    const path = join(tempDir(), 'logs.db');
    const kept = logRow();
    leavePending(path, [kept]);
    // Listed, then gone when read (ENOENT), as a file another process folded and removed meanwhile.
    symlinkSync(join(pendingDir(path), 'folded-by-another'), join(pendingDir(path), `${logRow().id}.rows`));
    const store = await openSqliteStore(path);
    try {
      expect(store.folded).toEqual({ rows: 1, unreadable: 0 });
      expect(readdirSync(pendingDir(path))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
