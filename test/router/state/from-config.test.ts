// Where the Router's state lives, from the config: LiteLLM's router_settings.redis_* keys, or REDIS_URL.
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../../src/config/load.ts';
import { validateConfig } from '../../../src/config/schema.ts';
import { redisConnection, routerStateFromConfig } from '../../../src/router/state/from-config.ts';
import { stateSettings } from '../../../src/router/settings.ts';
import { MemoryState } from '../../../src/router/state/memory.ts';

const config = (routerSettings: Record<string, unknown>, env: Record<string, string> = {}) => configFromObject({ model_list: [], router_settings: routerSettings }, undefined, env);

describe('routing state from the config', () => {
  it('stays in memory without Redis', async () => {
    expect(redisConnection(config({}))).toBeUndefined();
    expect(await routerStateFromConfig(config({}))).toBeInstanceOf(MemoryState);
  });

  it('reads redis_host, redis_port and redis_password (os.environ/VAR allowed), the password masked for display', () => {
    const connection = redisConnection(config({ redis_host: 'redis.internal', redis_port: 'os.environ/RP', redis_password: 'os.environ/RPW' }, { RP: '6380', RPW: 's3cret/pw' }));
    expect(connection).toEqual({ url: 'redis://:s3cret%2Fpw@redis.internal:6380', display: 'redis://:***@redis.internal:6380', prefix: 'llmpass:' });
  });

  it('takes REDIS_URL when router_settings names no host, and a key prefix', () => {
    const connection = redisConnection(config({ redis_key_prefix: 'team-a:' }, { REDIS_URL: 'rediss://user:pw@cache:6390/2' }));
    expect(connection).toEqual({ url: 'rediss://user:pw@cache:6390/2', display: 'rediss://user:***@cache:6390/2', prefix: 'team-a:' });
  });

  it('says what is wrong with a bad port or REDIS_URL, and names a missing variable', () => {
    expect(() => redisConnection(config({ redis_host: 'h', redis_port: 'os.environ/RP' }, { RP: 'abc' }))).toThrow(/router_settings.redis_port: "abc" is not a port number/);
    expect(() => redisConnection(config({}, { REDIS_URL: 'http://cache:6379' }))).toThrow(/REDIS_URL: expected redis:\/\/ or rediss:\/\//);
    expect(() => redisConnection(config({ redis_host: 'os.environ/NOPE' }))).toThrow(/NOPE is not set: router_settings.redis_host needs it/);
  });

  it('validates the new router_settings keys', () => {
    expect(validateConfig({ router_settings: { redis_host: 'h', redis_port: 6379, redis_key_prefix: 'x:', rate_limit_window_seconds: 1.5 } }).ok).toBe(true);
    const bad = validateConfig({ router_settings: { redis_port: 70000 } });
    expect(bad.ok).toBe(false);
  });

  it('takes allowed_fails, cooldown_time and the window from router_settings', () => {
    expect(stateSettings(config({ allowed_fails: 1, cooldown_time: 30, rate_limit_window_seconds: 2 }))).toEqual({ allowedFails: 1, cooldownMs: 30_000, windowMs: 2_000 });
    expect(stateSettings(config({}))).toEqual({ allowedFails: 3, cooldownMs: 5_000, windowMs: 60_000 });
  });
});
