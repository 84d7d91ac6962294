// Two real proxy replicas with the same config and one real redis-server: rate limits hold across both, a
// cooldown one replica starts is honoured by the other, and `llmpass call` shares the same windows.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, status, type FakeServer } from '../fixtures/fake-upstream.ts';
import { baseEnv, call } from '../support/cli.ts';
import { postJson, startProxyCli, stopAllProxies, type HttpAnswer, type ProxyCli } from '../support/proxy.ts';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

let redis: RedisServer;
let replicas: ProxyCli[];
const up: Record<string, FakeServer> = {};
let config: string;
// Redis's answers get 5 s, not the default 100 ms: on a loaded machine redis-server may wait that long for a core, and
// the local fallback that a missed deadline triggers (tested in outage.test.ts) would break the shared counts here.
const redisEnv = () => ({ TEST_REDIS_PORT: String(redis.port), LLMPASS_REDIS_TIMEOUT_MS: '5000' });

const OK = status(200, { object: 'list', data: [{ label: 'en' }], usage: { total_tokens: 1 } });
const UPSTREAM_KEY = 'sk-upstream-redis-canary-7f3e';

function deployment(alias: string, server: FakeServer, extra = ''): string {
  return `  - model_name: ${alias}
    litellm_params:
      model: hosted_vllm/served-model
      api_base: ${server.url}
${extra}`;
}

beforeAll(async () => {
  redis = await startRedis();
  for (const name of ['limited', 'overflow', 'raceA', 'raceB', 'broken', 'healthy', 'metered']) up[name] = await startFakeUpstream(name === 'broken' ? status(503, { error: 'down' }) : OK);
  config = `model_list:
${deployment('limited', up.limited!, '      rpm: 30\n')}${deployment('limited', up.overflow!, '      rpm: 50\n')}${deployment('race', up.raceA!, '      rpm: 40\n')}${deployment('race', up.raceB!, '      rpm: 25\n')}${deployment('flaky', up.broken!, '      weight: 1000\n')}${deployment('flaky', up.healthy!, '      weight: 0.001\n')}${deployment('metered', up.metered!, `      tpm: 3\n      api_key: ${UPSTREAM_KEY}\n`)}router_settings:
  num_retries: 1
  allowed_fails: 1
  cooldown_time: 60
  redis_host: 127.0.0.1
  redis_port: os.environ/TEST_REDIS_PORT
  redis_key_prefix: "replicas:"
`;
  replicas = await Promise.all([startProxyCli({ config, env: redisEnv() }), startProxyCli({ config, env: redisEnv() })]);
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all(Object.values(up).map((server) => server.close()));
  await stopAllRedis();
  cleanupTemp();
});

function send(replica: ProxyCli, alias: string): Promise<HttpAnswer> {
  return postJson(`${replica.url}/vllm/classify`, { model: alias, input: 'Hello' }, undefined);
}

describe('replicas sharing state through Redis', () => {
  it('both replicas report shared state in /health/readiness', async () => {
    for (const replica of replicas) {
      const res = await fetch(`${replica.url}/health/readiness`);
      expect(await res.json()).toMatchObject({ status: 'healthy', routing_state: { backend: 'redis', shared: true, redis: `redis://127.0.0.1:${redis.port}` } });
    }
  });

  it('a deployment with rpm 30 gets at most 30 of 100 calls spread over both replicas; the rest overflow, then 429', async () => {
    const answers: HttpAnswer[] = [];
    // Ten at a time, alternating replicas.
    for (let round = 0; round < 10; round++) {
      answers.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => send(replicas[i % 2]!, 'limited')))));
    }
    expect(up.limited!.requests.length).toBe(30);
    expect(up.overflow!.requests.length).toBe(50);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(20);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(80);
    for (const answer of refused) {
      const wait = Number(answer.headers['retry-after']);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
      expect(answer.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'llmpass_rate_limited', message: expect.stringMatching(/every deployment is at its rate limit/) } });
    }
  });

  it('`llmpass call` with the same config shares the windows: exit 4 and the reason', async () => {
    const dir = tempConfig(config);
    const result = await call(dir, ['limited', 'classify', '--json', '{"input":"Hello"}'], { env: baseEnv(redisEnv()) });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/alias "limited": every deployment is at its rate limit \(.*rpm 30.*\); retry in \d+ s/);
    expect(up.limited!.requests.length).toBe(30);
  });

  it('many parallel calls on both replicas at once never exceed a window', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => send(replicas[i % 2]!, 'race')));
    // Had Redis been too slow, a replica would have gone on alone (and said so): then this test proves nothing.
    expect(replicas.flatMap((r) => r.logs.filter((line) => String(line.msg).startsWith('redis unavailable')))).toEqual([]);
    expect(up.raceA!.requests.length).toBeLessThanOrEqual(40);
    expect(up.raceB!.requests.length).toBeLessThanOrEqual(25);
    const served = answers.filter((a) => a.status === 200).length;
    expect(served).toBe(up.raceA!.requests.length + up.raceB!.requests.length);
    expect(served).toBe(65);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(135);
  });

  it('a deployment cooled down by failures on replica A is skipped by replica B', async () => {
    const [a, b] = replicas as [ProxyCli, ProxyCli];
    // A: the broken deployment (picked first by weight) answers 503, is cooled down, and the retry goes to the healthy one.
    expect((await send(a, 'flaky')).status).toBe(200);
    expect(up.broken!.requests.length).toBe(1);
    const cooldowns = async () => (await redis.command('HKEYS', 'replicas:cooldowns')).includes('flaky#4');
    const end = Date.now() + 3_000;
    while (!(await cooldowns())) {
      if (Date.now() > end) throw new Error('no shared cooldown for flaky#4');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // B reads cooldowns every half second.
    await new Promise((resolve) => setTimeout(resolve, 700));
    for (let i = 0; i < 10; i++) expect((await send(b, 'flaky')).status).toBe(200);
    expect(up.broken!.requests.length).toBe(1);
    expect(up.healthy!.requests.length).toBe(11);
  });

  it('`llmpass call` reports its tokens to the shared tpm window before it exits', async () => {
    const dir = tempConfig(config);
    const env = baseEnv(redisEnv());
    for (let i = 0; i < 3; i++) {
      const result = await call(dir, ['metered', 'classify', '--json', '{"input":"Hello"}'], { env });
      expect(result.code, result.stderr).toBe(0);
    }
    // Each answer reported one token: tpm 3 is reached, for the proxies too.
    const refused = await send(replicas[1]!, 'metered');
    expect(refused.status).toBe(429);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/metered#6 tpm 3/);
  });

  it('Redis holds prefixed keys that all expire, and no key, URL or body', async () => {
    const client = new Redis(redis.url);
    try {
      const keys = (await client.keys('*')).sort();
      expect(keys.length).toBeGreaterThan(3);
      for (const key of keys) {
        expect(key).toMatch(/^replicas:(slots|tpm):[a-z]+#\d+$|^replicas:(cooldowns|inflight)$/);
        expect(await client.pttl(key), key).toBeGreaterThan(0);
        const type = await client.type(key);
        const dump = type === 'hash' ? JSON.stringify(await client.hgetall(key)) : JSON.stringify(await client.zrange(key, '0', '-1', 'WITHSCORES'));
        expect(dump).not.toContain(UPSTREAM_KEY);
        expect(dump).not.toContain('127.0.0.1');
        expect(dump).not.toContain('Hello');
      }
    } finally {
      client.disconnect();
    }
  });
});
