// `llmpass logs`, `logs show` and `logs stats` through the built CLI, reading rows the writer stored: in the
// default SQLite file (under XDG_STATE_HOME) and in a real PostgreSQL named by --db and by DATABASE_URL.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLogPath, openLogStore } from '../../src/accounting/log/open.ts';
import { maskHeaders, type RequestRow } from '../../src/accounting/log/row.ts';
import { LogWriter } from '../../src/accounting/log/writer.ts';
import { usageOf } from '../../src/accounting/usage.ts';
import { assertBuilt, baseEnv, runCli, type CliResult } from '../support/cli.ts';
import { logRow, T0 } from '../support/log-rows.ts';
import { postgresInstalled, usePostgres } from '../support/postgres.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const MIN = 60_000;

/** Six calls over two days: two aliases, two virtual keys, a 429, a network failure, an unpriced model, an answer without usage. */
function calls(): RequestRow[] {
  return [
    logRow({ time: T0, alias: 'chat', keyAlias: 'team-a', durationMs: 100, tokens: usageOf({ input: 10, output: 20 }), cost: 0.001 }),
    logRow({ time: T0 + MIN, alias: 'chat', keyAlias: 'team-b', durationMs: 300, tokens: usageOf({ input: 30, output: 40 }), cost: 0.002 }),
    logRow({ time: T0 + 2 * MIN, alias: 'chat', keyAlias: 'team-a', status: 429, durationMs: 50, tokens: usageOf({}), cost: null }),
    logRow({ time: T0 + 3 * MIN, alias: 'embed', endpoint: 'embeddings', durationMs: 20, tokens: usageOf({ input: 5, output: 0 }), cost: null }),
    logRow({ time: T0 + 86_400_000, alias: 'chat', status: null, errorCode: 'LLMPASS_NETWORK', durationMs: 3_000, tokens: usageOf({}), cost: null }),
    logRow({
      time: T0 + 86_400_000 + MIN,
      alias: 'chat',
      durationMs: 200,
      tokens: usageOf({ input: 7, output: 8, cacheRead: 2 }),
      cost: 0.0005,
      requestHeaders: maskHeaders([['authorization', 'Bearer sk-secret-123'], ['content-type', 'application/json']]),
      requestBody: Buffer.from('{"model":"chat","messages":[{"role":"user","content":"hi"}]}'),
      responseBody: Buffer.from('{"choices":[{"message":{"content":"hello"}}]}'),
    }),
  ];
}

async function store(target: string): Promise<RequestRow[]> {
  const rows = calls();
  const writer = new LogWriter({ open: () => openLogStore(target), retentionDays: 0 });
  for (const row of rows) writer.record(row);
  expect(await writer.close(30_000)).toMatchObject({ written: rows.length, dropped: 0 });
  return rows;
}

const json = (result: CliResult): unknown => JSON.parse(result.stdout.toString('utf8'));

const postgres = usePostgres();

beforeAll(() => assertBuilt());

afterAll(() => cleanupTemp());

describe('llmpass logs on the default SQLite file', () => {
  let env: NodeJS.ProcessEnv;
  let cwd: string;
  let rows: RequestRow[];

  beforeAll(async () => {
    cwd = tempDir();
    env = baseEnv({ XDG_STATE_HOME: join(cwd, 'state'), TZ: 'UTC' });
    rows = await store(defaultLogPath(env));
  });

  const logs = (...args: string[]): Promise<CliResult> => runCli({ args: ['logs', ...args], cwd, env });

  it('lists the latest calls as a table, unknown tokens and unpriced costs as –', async () => {
    const result = await logs();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+ALIAS\s+ENDPOINT\s+STATUS\s+DURATION\s+TOKENS\s+COST\s+ID$/);
    expect(lines).toHaveLength(7);
    expect(lines[1]).toMatch(/^2026-01-15 12:00:00\s+chat\s+chat\/completions\s+200\s+100 ms\s+10 → 20\s+\$0\.001000\s+[0-9a-f-]{36}$/);
    expect(lines[3]).toMatch(/^2026-01-15 12:02:00\s+chat\s+chat\/completions\s+429\s+50 ms\s+–\s+–\s/);
    expect(lines[5]).toMatch(/^2026-01-16 12:00:00\s+chat\s+chat\/completions\s+LLMPASS_NETWORK\s+3\.00 s\s+–\s+–\s/);
  });

  it('filters by alias, status, since/until and limit', async () => {
    const ids = async (...args: string[]): Promise<string[]> => (json(await logs('--json', ...args)) as Array<{ id: string }>).map((row) => row.id);
    const id = (i: number): string => rows[i]!.id;
    expect(await ids('--alias', 'embed')).toEqual([id(3)]);
    expect(await ids('--status', 'error')).toEqual([id(4), id(2)]);
    expect(await ids('--status', '429')).toEqual([id(2)]);
    expect(await ids('--limit', '2')).toEqual([id(5), id(4)]);
    expect(await ids('--since', '2026-01-16')).toEqual([id(5), id(4)]);
    expect(await ids('--until', '2026-01-15T12:01:00Z')).toEqual([id(0)]);
    // Every row is older than an hour.
    expect(await ids('--since', '1h')).toEqual([]);
  });

  it('prints JSON lines, one call per line, unknown counts as null', async () => {
    const result = await logs('--jsonl', '--alias', 'chat', '--status', '429');
    const lines = result.stdout.toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: rows[2]!.id, time: '2026-01-15T12:02:00.000Z', status: 429, tokens: { input: null, output: null }, cost: null });
  });

  it('shows one call with masked headers and its bodies; `last` and an id prefix work', async () => {
    const result = await logs('show', 'last');
    expect(result.code).toBe(0);
    const text = result.stdout.toString('utf8');
    expect(text).toContain(rows[5]!.id);
    expect(text).toMatch(/tokens\s+7 in, 8 out, 2 cache read/);
    expect(text).toMatch(/cost\s+\$0\.000500/);
    expect(text).toContain('authorization: ***');
    expect(text).not.toContain('sk-secret-123');
    expect(text).toContain('"content":"hello"');
    const shown = json(await logs('show', rows[5]!.id.slice(0, 30), '--json')) as { responseBody: { text: string } };
    expect(JSON.parse(shown.responseBody.text)).toEqual({ choices: [{ message: { content: 'hello' } }] });
  });

  it('says which id it does not know, exit 2', async () => {
    const result = await logs('show', '00000000-dead');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no logged call has the id "00000000-dead"/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('stats by alias: calls, errors, p50/p95, tokens and cost; unreported and unpriced calls apart, each counted once', async () => {
    const stats = json(await logs('stats', '--json')) as Array<Record<string, unknown>>;
    expect(stats).toEqual([
      { by: 'alias', group: 'chat', calls: 5, errors: 2, p50Ms: 200, p95Ms: 3_000, inputTokens: 47, outputTokens: 68, unknownTokens: 2, cost: expect.closeTo(0.0035, 12), unpriced: 0 },
      { by: 'alias', group: 'embed', calls: 1, errors: 0, p50Ms: 20, p95Ms: 20, inputTokens: 5, outputTokens: 0, unknownTokens: 0, cost: null, unpriced: 1 },
    ]);
    const table = (await logs('stats')).stdout.toString('utf8');
    expect(table).toMatch(/^ALIAS\s+CALLS\s+ERRORS\s+P50\s+P95\s+TOKENS IN\s+TOKENS OUT\s+COST$/m);
    expect(table).toMatch(/^chat\s+5\s+2\s+200 ms\s+3\.00 s\s+47 \(\+2 unreported\)\s+68\s+\$0\.003500$/m);
    expect(table).toMatch(/^embed\s+1\s+0\s+20 ms\s+20 ms\s+5\s+0\s+– \(unpriced\)$/m);
    // Calls without usage: their tokens and cost are unknown, never 0.
    expect(json(await logs('stats', '--status', 'error', '--json'))).toEqual([expect.objectContaining({ group: 'chat', calls: 2, inputTokens: null, outputTokens: null, unknownTokens: 2, unpriced: 0, cost: null })]);
    expect((await logs('stats', '--status', 'error')).stdout.toString('utf8')).toMatch(/^chat\s+2\s+2\s+50 ms\s+3\.00 s\s+–\s+–\s+–$/m);
  });

  it('stats by virtual key: calls without a key grouped as -', async () => {
    const stats = json(await logs('stats', '--by', 'key', '--json')) as Array<Record<string, unknown>>;
    expect(stats).toEqual([
      { by: 'key', group: '-', calls: 3, errors: 1, p50Ms: 200, p95Ms: 3_000, inputTokens: 12, outputTokens: 8, unknownTokens: 1, cost: expect.closeTo(0.0005, 12), unpriced: 1 },
      { by: 'key', group: 'team-a', calls: 2, errors: 1, p50Ms: 50, p95Ms: 100, inputTokens: 10, outputTokens: 20, unknownTokens: 1, cost: expect.closeTo(0.001, 12), unpriced: 0 },
      { by: 'key', group: 'team-b', calls: 1, errors: 0, p50Ms: 300, p95Ms: 300, inputTokens: 30, outputTokens: 40, unknownTokens: 0, cost: expect.closeTo(0.002, 12), unpriced: 0 },
    ]);
    const table = (await logs('stats', '--by', 'key', '--alias', 'chat')).stdout.toString('utf8');
    expect(table).toMatch(/^KEY\s+CALLS\s+ERRORS\s+P50\s+P95\s+TOKENS IN\s+TOKENS OUT\s+COST$/m);
    expect(table).toMatch(/^team-a\s+2\s+1\s+50 ms\s+100 ms\s+10 \(\+1 unreported\)\s+20\s+\$0\.001000$/m);
    const bad = await logs('stats', '--by', 'week');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--by/);
  });

  it('stats by day', async () => {
    const stats = json(await logs('stats', '--by', 'day', '--json')) as Array<{ group: string; calls: number }>;
    expect(stats.map(({ group, calls }) => [group, calls])).toEqual([['2026-01-15', 4], ['2026-01-16', 2]]);
  });

  it('a bad --since or --status is one line, exit 2', async () => {
    for (const args of [['--since', 'yesterday'], ['--status', 'bad']]) {
      const result = await logs(...args);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`${args[0]} "${args[1]}"`));
    }
  });

  it('with no log yet, says so and exits 0', async () => {
    const result = await runCli({ args: ['logs'], cwd, env: { ...env, XDG_STATE_HOME: join(cwd, 'nothing-here') } });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/no calls logged yet: .*nothing-here\/llmpass\/logs\.db does not exist/);
  });

  it('a --db file that is not there is a usage error (exit 2), not an empty log', async () => {
    const result = await runCli({ args: ['logs', '--db', 'no/such/logs.db'], cwd, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('llmpass: --db no/such/logs.db: no such request log (a SQLite file llmpass has logged calls to, or a postgres:// URL)\n');
  });
});

describe.skipIf(!postgresInstalled())('llmpass logs on PostgreSQL', () => {
  it('reads the shared log from --db and from DATABASE_URL, and never prints the password', async () => {
    const url = await postgres.database('logs');
    const rows = await store(url);
    const cwd = tempDir();
    const env = baseEnv({ TZ: 'UTC' });
    const byFlag = await runCli({ args: ['logs', '--db', url, '--json'], cwd, env });
    expect(byFlag.stderr).toBe('');
    expect((json(byFlag) as Array<{ id: string }>).map((row) => row.id)).toEqual(rows.map((row) => row.id).reverse());
    const byEnv = await runCli({ args: ['logs', 'stats', '--by', 'day', '--json'], cwd, env: { ...env, DATABASE_URL: url } });
    expect((json(byEnv) as Array<{ calls: number }>).map((row) => row.calls)).toEqual([4, 2]);
    const down = await runCli({ args: ['logs', '--db', `postgres://postgres:hunter2@127.0.0.1:1/none`], cwd, env });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot open the request log postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/none/);
    expect(down.stderr).not.toContain('hunter2');
  });
});
