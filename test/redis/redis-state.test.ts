// The Redis-backed state in process, two instances standing for two replicas, on a real redis-server: shared
// windows, cooldowns and in-flight counts, keys that expire, and what happens when Redis is slow or away.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisState, type RedisStateOptions } from '../../src/router/state/redis.ts';
import type { StateEvent } from '../../src/router/state/types.ts';
import { until } from '../support/cli.ts';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis.ts';

let redis: RedisServer;
let client: Redis;
const states: RedisState[] = [];
let prefixCount = 0;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { lazyConnect: true });
  await client.connect();
});

afterEach(async () => {
  await Promise.all(states.splice(0).map((state) => state.close()));
});

afterAll(async () => {
  client?.disconnect();
  await stopAllRedis();
});

/** A replica's state; each test gets its own key prefix so tests never see each other's keys. */
async function replica(prefix: string, more: Partial<RedisStateOptions> = {}): Promise<RedisState> {
  const state = await RedisState.connect({
    url: redis.url,
    display: redis.url,
    prefix,
    allowedFails: 1,
    cooldownMs: 30_000,
    windowMs: 60_000,
    syncMs: 50,
    ...more,
  });
  states.push(state);
  return state;
}

function freshPrefix(): string {
  prefixCount += 1;
  return `t${prefixCount}:`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisState', () => {
  it('two replicas never take more than rpm slots between them, however the calls interleave', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await replica(prefix), await replica(prefix)];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).acquire('m#0', { rpm: 7 })));
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    const refused = results.find((r) => !r.ok);
    expect(refused && !refused.ok && refused.limit).toBe('rpm');
    expect(refused && !refused.ok && refused.retryAfterMs).toBeGreaterThan(59_000);
    expect(a.report()).toMatchObject({ backend: 'redis', shared: true });
  });

  it('leases slots ahead of need while the window has room: calls skip the round trip, and rpm still holds exactly', async () => {
    const prefix = freshPrefix();
    // Deadlines of 5 s: a missed one on a loaded machine would serve a call locally, outside the shared window.
    const [a, b] = [await replica(prefix, { timeoutMs: 5_000 }), await replica(prefix, { timeoutMs: 5_000 })];
    const limits = { rpm: 1000 };
    let withoutRoundTrip = 0;
    const wave = async (state: RedisState) => {
      const pending = Array.from({ length: 25 }, () => state.acquire('m#0', limits));
      withoutRoundTrip += pending.filter((slot) => !(slot instanceof Promise)).length;
      return Promise.all(pending);
    };
    const held = async () => -Number(await client.zscore(`${prefix}slots:m#0`, '#used'));
    let taken = 0;
    for (let i = 0; i < 16; i++) taken += (await wave(a)).filter((slot) => slot.ok).length;
    expect(taken).toBe(400);
    // From its second ask on, A leased slots and later calls took them at once.
    expect(withoutRoundTrip).toBeGreaterThan(0);
    // A's lease ends and gives back what it did not use: the window holds A's calls, no more.
    const end = Date.now() + 5_000;
    while ((await held()) !== 400 && Date.now() < end) await sleep(10);
    expect(await held()).toBe(400);
    // One member per script call in the window, not one per request.
    expect(await client.zcard(`${prefix}slots:m#0`)).toBeLessThan(100);
    // B (leasing too) then gets exactly the rest of the window, and A nothing more.
    let refused = false;
    for (let i = 0; i < 60 && !refused; i++) {
      const results = await wave(b);
      taken += results.filter((slot) => slot.ok).length;
      refused = results.some((slot) => !slot.ok);
    }
    expect(refused).toBe(true);
    expect(taken).toBe(1000);
    expect((await wave(a)).filter((slot) => slot.ok)).toHaveLength(0);
    expect(await held()).toBe(1000);
  });

  it('slots free again as the window slides past them, counted once', async () => {
    const prefix = freshPrefix();
    const a = await replica(prefix, { windowMs: 300, timeoutMs: 5_000 });
    const batch = () => Promise.all(Array.from({ length: 7 }, () => a.acquire('m#0', { rpm: 5 })));
    const first = await batch();
    expect(first.filter((slot) => slot.ok)).toHaveLength(5);
    const refusal = first.find((slot) => !slot.ok);
    await sleep((refusal && !refusal.ok ? refusal.retryAfterMs : 300) + 50);
    expect((await batch()).filter((slot) => slot.ok)).toHaveLength(5);
    expect(-Number(await client.zscore(`${prefix}slots:m#0`, '#used'))).toBe(5);
  });

  it('shares tpm: tokens one replica reports fill the window for the other', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await replica(prefix), await replica(prefix)];
    expect((await b.acquire('m#0', { tpm: 100 })).ok).toBe(true);
    a.recordTokens('m#0', 60);
    a.recordTokens('m#0', 40);
    // Tokens go to Redis in batches, every 100 ms.
    await sleep(250);
    const refused = await b.acquire('m#0', { tpm: 100 });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.limit).toBe('tpm');
  });

  it('a cooldown started on one replica is seen by the other within a sync', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await replica(prefix), await replica(prefix)];
    expect(b.isCooling('m#1')).toBe(false);
    expect(a.failed('m#1', true)).toBe(true);
    await until(() => b.isCooling('m#1'), 2_000);
    expect(b.isCooling('m#0')).toBe(false);
  });

  it('least-busy sees the other replica\'s calls in flight, and their end', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await replica(prefix), await replica(prefix)];
    const slots = await Promise.all([a.acquire('m#0', undefined), a.acquire('m#0', undefined), a.acquire('m#0', { rpm: 100 })]);
    expect(a.inFlight('m#0')).toBe(3);
    await until(() => b.inFlight('m#0') === 3, 2_000);
    for (const slot of slots) if (slot.ok) slot.release();
    await until(() => b.inFlight('m#0') === 0, 2_000);
  });

  it('keys carry the prefix and always an expiry, and hold no secret', async () => {
    const prefix = freshPrefix();
    const a = await replica(prefix);
    await a.acquire('alias#0', { rpm: 10, tpm: 1000 });
    a.recordTokens('alias#0', 42);
    a.failed('alias#0', true);
    const held = await a.acquire('alias#1', undefined);
    await sleep(150);
    const keys = await client.keys('*');
    const ours = keys.filter((key) => key.startsWith(prefix)).sort();
    expect(ours).toEqual([`${prefix}cooldowns`, `${prefix}inflight`, `${prefix}slots:alias#0`, `${prefix}tpm:alias#0`]);
    for (const key of ours) {
      const ttl = await client.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
    }
    if (held.ok) held.release();
  });

  it('falls back to its own state when Redis is slow, says so once, and shares again when Redis answers', async () => {
    const prefix = freshPrefix();
    const a = await replica(prefix, { timeoutMs: 50 });
    const events: StateEvent[] = [];
    a.subscribe((event) => events.push(event));
    // Redis answers nothing for 600 ms: every call times out.
    await client.call('CLIENT', 'PAUSE', '600', 'ALL');
    const started = Date.now();
    const slots = await Promise.all([a.acquire('m#0', { rpm: 2 }), a.acquire('m#0', { rpm: 2 }), a.acquire('m#0', { rpm: 2 })]);
    expect(Date.now() - started).toBeLessThan(400);
    // The local window holds the same limit.
    expect(slots.map((s) => s.ok)).toEqual([true, true, false]);
    expect(a.report()).toMatchObject({ shared: false, degraded: { reason: expect.stringMatching(/no answer within 50 ms/) } });
    expect(events.filter((e) => e.type === 'degraded')).toHaveLength(1);
    expect(events.some((e) => e.type === 'fallback' && e.operation === 'acquire')).toBe(true);
    await until(() => a.report().shared, 3_000);
    expect(events.at(-1)).toEqual({ type: 'restored' });
  });

  it('starts without Redis, routes on its own state, and shares once Redis is up', async () => {
    const down = await startRedis();
    await down.stop();
    const state = await RedisState.connect({ url: down.url, display: down.url, prefix: 'late:', allowedFails: 1, cooldownMs: 1_000, windowMs: 60_000, syncMs: 50 });
    states.push(state);
    expect(state.report()).toMatchObject({ backend: 'redis', shared: false, degraded: { reason: expect.any(String) } });
    expect((await state.acquire('m#0', { rpm: 1 })).ok).toBe(true);
    expect((await state.acquire('m#0', { rpm: 1 })).ok).toBe(false);
    await down.start();
    await until(() => state.report().shared, 5_000);
    // The shared window started empty: this replica's slot from before is not in it.
    expect((await state.acquire('m#1', { rpm: 1 })).ok).toBe(true);
    expect((await down.command('EXISTS', 'late:slots:m#1')).trim()).toBe(':1');
    await down.stop();
  });
});
