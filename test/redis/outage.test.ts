// Redis stopped under two running replicas: both keep answering on their own state, say so once in the log, in
// /health/readiness and in /metrics, and share state again once Redis is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, status, type FakeServer } from '../fixtures/fake-upstream.ts';
import { baseEnv, call, until } from '../support/cli.ts';
import { http, postJson, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

let redis: RedisServer;
let replicas: [ProxyCli, ProxyCli];
const up: Record<string, FakeServer> = {};
let config: string;

beforeAll(async () => {
  redis = await startRedis();
  for (const name of ['steady', 'during', 'after']) up[name] = await startFakeUpstream(status(200, { ok: true }));
  const entry = (alias: string, extra = '') => `  - model_name: ${alias}
    litellm_params:
      model: hosted_vllm/served-model
      api_base: ${up[alias]!.url}
${extra}`;
  config = `model_list:
${entry('steady')}${entry('during', '      rpm: 3\n')}${entry('after', '      rpm: 4\n')}router_settings:
  num_retries: 0
  redis_key_prefix: "outage:"
`;
  // REDIS_URL rather than router_settings: the other way to name it.
  const env = { REDIS_URL: redis.url };
  replicas = (await Promise.all([startProxyCli({ config, env }), startProxyCli({ config, env })])) as [ProxyCli, ProxyCli];
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all(Object.values(up).map((server) => server.close()));
  await stopAllRedis();
  cleanupTemp();
});

const send = (replica: ProxyCli, alias: string) => postJson(`${replica.url}/vllm/classify`, { model: alias }, undefined);
const readiness = async (replica: ProxyCli) => (await http(`${replica.url}/health/readiness`)).json<{ status: string; routing_state: Record<string, unknown> }>();
const metrics = async (replica: ProxyCli) => (await http(`${replica.url}/metrics`)).text;
const logged = (replica: ProxyCli, text: string) => replica.logs.filter((line) => String(line.msg).startsWith(text));

describe('Redis going away and coming back', () => {
  it('keeps answering while Redis is down, reports the degradation, and shares again after a restart', async () => {
    for (const replica of replicas) expect((await send(replica, 'steady')).status).toBe(200);
    for (const replica of replicas) expect(await metrics(replica)).toMatch(/^llmpass_redis_shared 1$/m);

    const before = replicas.map((replica) => logged(replica, 'redis unavailable').length);
    await redis.stop();
    // Both keep answering; the first calls after the outage may be the ones that find it.
    for (let i = 0; i < 10; i++) expect((await send(replicas[i % 2]!, 'steady')).status).toBe(200);
    for (const replica of replicas) {
      await until(() => logged(replica, 'redis unavailable').length > 0, 3_000);
      const ready = await readiness(replica);
      expect(ready.status).toBe('healthy');
      expect(ready.routing_state).toMatchObject({ backend: 'redis', shared: false, degraded: { reason: expect.any(String), since: expect.any(String) } });
      const text = await metrics(replica);
      expect(text).toMatch(/^llmpass_redis_shared 0$/m);
      expect(text).toMatch(/^llmpass_redis_degraded_total [1-9]$/m);
    }
    // `llmpass call` with the same config warns and goes on too.
    const called = await call(tempConfig(config), ['steady', 'classify', '--json', '{}'], { env: baseEnv({ REDIS_URL: redis.url }) });
    expect(called.code, called.stderr).toBe(0);
    expect(called.stderr).toMatch(/^llmpass: warning: redis unavailable \(.+\): rate limits and cooldowns are this call's own$/m);
    // Limits still hold, per replica: rpm 3 on each replica's own window.
    const during = await Promise.all(Array.from({ length: 5 }, () => send(replicas[0], 'during')));
    expect(during.map((a) => a.status).sort()).toEqual([200, 200, 200, 429, 429]);

    await redis.start();
    for (const replica of replicas) await until(() => logged(replica, 'redis is back').length > 0, 5_000);
    for (const replica of replicas) {
      expect((await readiness(replica)).routing_state).toEqual({ backend: 'redis', shared: true, redis: redis.url });
      expect(await metrics(replica)).toMatch(/^llmpass_redis_shared 1$/m);
    }
    // Said once, however many calls met the outage.
    expect(replicas.map((replica) => logged(replica, 'redis unavailable').length)).toEqual(before.map((n) => n + 1));
    expect(replicas.map((replica) => logged(replica, 'redis is back').length)).toEqual(before.map((n) => n + 1));
    // Shared again: rpm 4 holds across both replicas (alone each would let 4 through).
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => send(replicas[i % 2]!, 'after')));
    expect(up.after!.requests.length).toBe(4);
    expect(after.filter((a) => a.status === 429)).toHaveLength(6);
  });
});
