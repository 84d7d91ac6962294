// Two proxy replicas sharing PostgreSQL (keys and spend) and Redis (rpm/tpm/parallel): a key made on one works on
// the other, its rpm, tpm and parallel requests are counted across both, its spend booked by both stops it on both
// and starts again after budget_duration, a revocation or an expiry on one is seen by the other within a second
// (its lookups are cached for at most that long), and no key is in the database's rows but as its hash.
import type { ServerResponse } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeUpstream, type FakeHandler } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { http, postJson, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { expectProxyError } from '../support/proxy-error.ts';
import { POSTGRES_MISSING, postgresInstalled, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { redisInstalled, startRedis, stopAllRedis, type RedisServer } from '../support/redis.ts';
import { until } from '../support/cli.ts';
import { expectNoSecret } from '../support/secrets.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER = 'sk-master-replicas-93c1f0';
let upstream: FakeServer;
let postgres: PostgresServer;
let redis: RedisServer;
let a: ProxyCli;
let b: ProxyCli;
const held: Array<() => void> = [];
const made: string[] = [];

const answer: FakeHandler = (req, res: ServerResponse) => {
  const reply = () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c1', usage: { prompt_tokens: 100, completion_tokens: 50 } }));
  };
  if (req.path.endsWith('/hold')) held.push(reply);
  else reply();
};

const ready = postgresInstalled() && redisInstalled();
if (!ready) console.warn(`skipping the key replicas suite: ${POSTGRES_MISSING}, or redis-server missing`);

beforeAll(async () => {
  if (!ready) return;
  upstream = await startFakeUpstream(answer);
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const config = `model_list:
  - model_name: lang
    litellm_params: { model: hosted_vllm/lang-up, api_base: ${upstream.url}, input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
general_settings:
  master_key: ${MASTER}
`;
  const env = { DATABASE_URL: postgres.url, REDIS_URL: redis.url, LLMPASS_REDIS_TIMEOUT_MS: '5000' };
  [a, b] = await Promise.all([startProxyCli({ config, env }), startProxyCli({ config, env })]);
}, 120_000);

afterAll(async () => {
  await stopAllProxies();
  await stopAllRedis();
  await upstream?.close();
  await postgres?.remove();
  cleanupTemp();
});

const chat = (proxy: ProxyCli, key: string, path = '/vllm/v1/chat/completions') => postJson(`${proxy.url}${path}`, { model: 'lang' }, key);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function generate(on: ProxyCli, body: Record<string, unknown>): Promise<string> {
  const res = await postJson(`${on.url}/key/generate`, body, MASTER);
  expect(res.status, res.text).toBe(200);
  made.push(res.json<{ key: string }>().key);
  return res.json<{ key: string }>().key;
}

/** Calls `proxy` until it refuses (within a generous deadline, as counts reach the other replica asynchronously). */
async function callUntilRefused(proxy: ProxyCli, key: string): Promise<{ admitted: number; refusal: Awaited<ReturnType<typeof chat>> }> {
  let admitted = 0;
  for (let i = 0; i < 100; i++) {
    const res = await chat(proxy, key);
    if (res.status !== 200) return { admitted, refusal: res };
    admitted++;
    await sleep(100);
  }
  throw new Error(`${proxy.url} never refused the key`);
}

it.runIf(ready)('counts a key’s rpm across both replicas', async () => {
  const key = await generate(a, { rpm_limit: 3 });
  expect((await chat(a, key)).status).toBe(200);
  expect((await chat(b, key)).status).toBe(200);
  expect((await chat(a, key)).status).toBe(200);
  const refused = await chat(b, key);
  expectProxyError(refused, 429, { message: /rpm_limit \(3\)/ });
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
});

it.runIf(ready)('stops a key on the other replica within a second of its revocation there', async () => {
  const key = await generate(a, { key_alias: 'revoked-on-a' });
  expect((await chat(b, key)).status).toBe(200);
  const revoked = await postJson(`${a.url}/key/update`, { key, blocked: true }, MASTER);
  expect(revoked.status).toBe(200);
  // B may answer from its cached lookup for up to a second; after that it must have seen the revocation.
  await sleep(1_100);
  expectProxyError(await chat(b, key), 401, { message: /revoked/ });
  expectProxyError(await chat(a, key), 401, { message: /revoked/ });
});

it.runIf(ready)('books spend from both replicas in the shared database and stops the key on both once over budget', async () => {
  const key = await generate(b, { max_budget: 0.3, key_alias: 'shared-budget' });
  expect((await chat(a, key)).status).toBe(200);
  expect((await chat(b, key)).status).toBe(200);
  let spend = 0;
  for (let i = 0; i < 100 && spend < 0.39; i++) {
    spend = Number((await http(`${a.url}/key/info?key=${key}`, { headers: { authorization: `Bearer ${MASTER}` } })).json<{ info: { spend: number } }>().info.spend);
    if (spend < 0.39) await sleep(50);
  }
  expect(spend).toBeCloseTo(0.4);
  await sleep(1_100);
  expectProxyError(await chat(a, key), 400, { type: 'budget_exceeded' });
  expectProxyError(await chat(b, key), 400, { type: 'budget_exceeded' });
});

it.runIf(ready)('counts a key’s tokens across both replicas for tpm_limit', async () => {
  // Each call is 150 tokens. A answers until its own count is over 1,000 (7 calls); B, counting alone, would then
  // admit 7 more: sharing the count, it refuses at once or after a call still in its sync's flight.
  const key = await generate(a, { tpm_limit: 1000 });
  const onA = await callUntilRefused(a, key);
  expect(onA.admitted).toBeGreaterThanOrEqual(7);
  const onB = await callUntilRefused(b, key);
  expect(onB.admitted).toBeLessThanOrEqual(2);
  expectProxyError(onB.refusal, 429, { type: 'rate_limit_error', message: /tpm_limit \(1000\)/ });
  expect(Number(onB.refusal.headers['retry-after'])).toBeGreaterThan(0);
});

it.runIf(ready)('counts a key’s requests in flight across both replicas for max_parallel_requests', async () => {
  const key = await generate(a, { max_parallel_requests: 1 });
  const first = chat(a, key, '/vllm/hold');
  await until(() => held.length === 1, 20_000);
  // B learns A's in-flight count at its next sync (every 500 ms): it refuses from then on.
  const onB = await callUntilRefused(b, key);
  expectProxyError(onB.refusal, 429, { message: /max_parallel_requests \(1\)/ });
  expect(onB.refusal.headers['retry-after']).toBe('1');
  held.splice(0).forEach((release) => release());
  expect((await first).status).toBe(200);
});

it.runIf(ready)('starts a spent budget again after budget_duration, on both replicas', async () => {
  const key = await generate(a, { max_budget: 0.1, budget_duration: '2s' });
  expect((await chat(a, key)).status).toBe(200);
  // The 0.2 booked on A stops the key on B once B re-reads the row (within a second)...
  const onB = await callUntilRefused(b, key);
  expectProxyError(onB.refusal, 400, { type: 'budget_exceeded' });
  // ...and after the period both answer again.
  for (const proxy of [a, b]) {
    let status = 400;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await sleep(100);
      status = (await chat(proxy, key)).status;
    }
    expect(status).toBe(200);
  }
});

it.runIf(ready)('stops an expired key on both replicas', async () => {
  const key = await generate(a, { duration: '1s' });
  const onB = await callUntilRefused(b, key);
  expectProxyError(onB.refusal, 401, { message: /expired/ });
  expectProxyError(await chat(a, key), 401, { message: /expired/ });
});

it.runIf(ready)('keeps no key in the database but its hash, nor in either replica’s output', async () => {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  let rows = '';
  try {
    const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    for (const { table_name } of tables.rows) rows += JSON.stringify((await client.query(`SELECT * FROM "${table_name}"`)).rows);
  } finally {
    await client.end();
  }
  expect(rows).toContain('key_name');
  const pieces = [MASTER, ...made, ...made.map((k) => k.slice(0, 12)), ...made.map((k) => k.slice(-8))];
  expectNoSecret(rows, pieces, 'the database rows');
  for (const proxy of [a, b]) expectNoSecret(proxy.stdout + proxy.stderr, pieces, 'a replica’s output');
});
