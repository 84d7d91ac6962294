// Proxies logging to one real PostgreSQL, end to end through the built CLI: two replicas under load lose no row
// (requests sent = rows stored, read back with `llmpass logs stats --db`), and a database killed mid-load costs no
// call: every call answers 200, rows wait in a bounded queue, those past it are dropped and counted in /metrics and
// one log line, readiness says the store is down, and the queued rows arrive once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseChunks, startFakeUpstream, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { runCli } from '../support/cli.ts';
import { http, postJson, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { POSTGRES_MISSING, postgresInstalled, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const MASTER = 'sk-master-pglog-5e21';
const CHAT = { id: 'c', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage: { prompt_tokens: 10, completion_tokens: 5 } };
const STREAM = [JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' } }] }), JSON.stringify({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 5 } }), '[DONE]'];
const answer: FakeHandler = (req, res) => ((req.json as { stream?: boolean } | undefined)?.stream ? sseChunks(STREAM, 0)(req, res) : status(200, CHAT)(req, res));

if (!postgresInstalled()) console.warn(`skipping the proxies-on-PostgreSQL request log tests: ${POSTGRES_MISSING}`);

let postgres: PostgresServer;
let upstream: FakeServer;

beforeAll(async () => {
  if (!postgresInstalled()) return;
  [postgres, upstream] = await Promise.all([startPostgres(), startFakeUpstream(answer)]);
}, 120_000);

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  await postgres?.remove();
  cleanupTemp();
});

function config(general = ''): string {
  return `model_list:
  - model_name: chat
    litellm_params: { model: hosted_vllm/m, api_base: "${upstream.url}" }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
general_settings:
  master_key: ${MASTER}
${general}`;
}

/** Sends `count` chat calls spread over the proxies, `concurrency` at a time, half of them streamed; their statuses. */
async function load(proxies: ProxyCli[], count: number, concurrency = 16): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const proxy = proxies[i % proxies.length]!;
      const reply = await postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'chat', stream: i % 2 === 1, messages: [] }, MASTER);
      statuses.push(reply.status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/** The request log's row counters as /metrics says them. */
async function logRows(proxy: ProxyCli): Promise<{ written: number; dropped: number }> {
  const text = (await http(`${proxy.url}/metrics`)).text;
  const value = (outcome: string): number => Number(new RegExp(`^llmpass_request_log_rows_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { written: value('written'), dropped: value('dropped') };
}

/** Reads `read` until `done` says so or `ms` pass (rows are recorded just after each answer ends); the last value. */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  let value = await read();
  for (const end = Date.now() + ms; !done(value) && Date.now() < end; value = await read()) await new Promise((resolve) => setTimeout(resolve, 50));
  return value;
}

const readiness = async (proxy: ProxyCli) =>
  (await http(`${proxy.url}/health/readiness`, { headers: { authorization: `Bearer ${MASTER}` } })).json<{ request_log: { state: string; lastError?: string; queued: number } }>().request_log;

async function statsCalls(): Promise<number> {
  const result = await runCli({ args: ['logs', 'stats', '--db', postgres.url, '--json'], cwd: tempDir() });
  expect(result.stderr.toString()).toBe('');
  return (JSON.parse(result.stdout.toString()) as Array<{ calls: number }>).reduce((sum, row) => sum + row.calls, 0);
}

async function clearRows(): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    await client.query('DELETE FROM llmpass_requests');
  } finally {
    await client.end();
  }
}

describe.skipIf(!postgresInstalled())('proxies logging to one PostgreSQL', () => {
  it('two replicas under load lose no row: requests sent = rows stored', async () => {
    // One names the store in its config, the other through DATABASE_URL: both turn the log on.
    const [a, b] = await Promise.all([startProxyCli({ config: config(`  database_url: "${postgres.url}"\n`) }), startProxyCli({ config: config(), env: { DATABASE_URL: postgres.url } })]);
    const sent = 600;
    const statuses = await load([a!, b!], sent, 24);
    expect(statuses.filter((code) => code === 200)).toHaveLength(sent);
    // A replica stopping writes what it still holds before it exits.
    await Promise.all([a!.stop(), b!.stop()]);
    const result = await runCli({ args: ['logs', 'stats', '--db', postgres.url, '--json'], cwd: tempDir() });
    expect(JSON.parse(result.stdout.toString())).toEqual([
      expect.objectContaining({ group: 'chat', calls: sent, errors: 0, inputTokens: 10 * sent, outputTokens: 5 * sent, unknownTokens: 0, unpriced: 0, cost: expect.closeTo(sent * 0.00002, 9) }),
    ]);
  }, 180_000);

  it('a killed database loses no call: all 200, rows past the queue dropped and counted, readiness says so', async () => {
    await clearRows();
    const proxy = await startProxyCli({ config: config(`  database_url: "${postgres.url}"\n  log_queue_rows: 50\n`) });
    expect((await load([proxy], 20, 4)).every((code) => code === 200)).toBe(true);
    expect(await poll(() => logRows(proxy), (rows) => rows.written >= 20)).toEqual({ written: 20, dropped: 0 });

    await postgres.stop();
    try {
      const statuses = await load([proxy], 120, 8);
      expect(statuses.filter((code) => code === 200)).toHaveLength(120);
      const down = await poll(() => readiness(proxy), (log) => log.state === 'retrying' && log.queued === 50);
      expect(down).toMatchObject({ state: 'retrying', queued: 50 });
      expect(down.lastError).toMatch(/postgres:\/\/postgres@127\.0\.0\.1/);
      expect(await poll(() => logRows(proxy), (rows) => rows.dropped >= 70)).toEqual({ written: 20, dropped: 70 });
    } finally {
      await postgres.start();
    }
    expect(await poll(() => logRows(proxy), (rows) => rows.written >= 70, 60_000)).toEqual({ written: 70, dropped: 70 });
    expect((await poll(() => readiness(proxy), (log) => log.state === 'ok')).state).toBe('ok');
    await proxy.stop();
    expect(await statsCalls()).toBe(70);
    const notices = proxy.logs.filter((line) => line.msg === 'request log').map((line) => String(line.request_log));
    expect(notices.filter((line) => /queue full \(50 rows\)/.test(line))).toHaveLength(1);
    expect(notices.filter((line) => /70 rows were dropped while the queue was full/.test(line))).toHaveLength(1);
  }, 180_000);
});
