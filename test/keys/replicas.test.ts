// Two proxy replicas sharing PostgreSQL (keys and spend) and Redis (rpm/tpm/parallel): a key made on one works on
// the other, its rpm is counted across both, its spend booked by both stops it on both, and a revocation on one is
// seen by the other within a second (its lookups are cached for at most that long).
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeUpstream, type FakeHandler } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { http, postJson, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { expectProxyError } from '../support/proxy-error.ts';
import { POSTGRES_MISSING, postgresInstalled, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { redisInstalled, startRedis, stopAllRedis, type RedisServer } from '../support/redis.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER = 'sk-master-replicas-93c1f0';
let upstream: FakeServer;
let postgres: PostgresServer;
let redis: RedisServer;
let a: ProxyCli;
let b: ProxyCli;

const answer: FakeHandler = (_req, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'c1', usage: { prompt_tokens: 100, completion_tokens: 50 } }));
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

const chat = (proxy: ProxyCli, key: string) => postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'lang' }, key);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function generate(on: ProxyCli, body: Record<string, unknown>): Promise<string> {
  const res = await postJson(`${on.url}/key/generate`, body, MASTER);
  expect(res.status, res.text).toBe(200);
  return res.json<{ key: string }>().key;
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
