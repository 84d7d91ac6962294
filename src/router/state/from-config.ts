import type { Config } from '../../config/load.ts';
import { displayPath } from '../../config/display-path.ts';
import { resolveEnvValue } from '../../config/env.ts';
import { ConfigError } from '../../errors.ts';
import { stateSettings } from '../settings.ts';
import { MemoryState } from './memory.ts';
import type { RouterState, StateSettings } from './types.ts';

export const DEFAULT_KEY_PREFIX = 'llmpass:';

/** Where the shared state lives: a URL for the client and the same with its password masked for people. */
export interface RedisConnection {
  url: string;
  display: string;
  prefix: string;
}

function masked(url: URL): string {
  const shown = new URL(url.href);
  if (shown.password) shown.password = '***';
  return shown.href.replace(/\/$/, '');
}

/**
 * router_settings.redis_host / redis_port / redis_password (`os.environ/VAR` allowed), else REDIS_URL; undefined
 * when neither is set (state stays in memory).
 */
export function redisConnection(config: Config): RedisConnection | undefined {
  const router = config.raw.router_settings ?? {};
  const file = config.filepath ? displayPath(config.filepath) : undefined;
  const read = (key: 'redis_host' | 'redis_port' | 'redis_password') => {
    const value = router[key];
    return value === undefined || value === null ? undefined : resolveEnvValue(String(value), { key: `router_settings.${key}`, file }, config.env).value;
  };
  const prefix = router.redis_key_prefix ?? DEFAULT_KEY_PREFIX;
  const host = read('redis_host');
  let url: URL;
  if (host) {
    const port = read('redis_port') ?? '6379';
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new ConfigError(`router_settings.redis_port: "${port}" is not a port number`);
    url = new URL('redis://localhost');
    url.hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    url.port = port;
    const password = read('redis_password');
    if (password) url.password = encodeURIComponent(password);
  } else {
    const fromEnv = config.env('REDIS_URL');
    if (!fromEnv) return undefined;
    try {
      url = new URL(fromEnv);
    } catch {
      throw new ConfigError('REDIS_URL is not a URL (expected redis://[:password@]host:port)');
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(`REDIS_URL: expected redis:// or rediss://, got ${url.protocol}//`);
  }
  return { url: url.href, display: masked(url), prefix };
}

/** In memory, or shared through Redis when one is configured (the client is loaded only then). */
export async function routerStateFromConfig(config: Config, settings: StateSettings = stateSettings(config), tuning: { timeoutMs?: number; syncMs?: number } = {}): Promise<RouterState> {
  const connection = redisConnection(config);
  if (!connection) return new MemoryState(settings);
  const { RedisState } = await import('./redis.ts');
  // A call's deadline is 100 ms; past it the local state serves. LLMPASS_REDIS_TIMEOUT_MS lengthens it where Redis
  // shares a starved CPU (the replica tests on a loaded machine), so that sharing, not scheduling, is what is tested.
  const timeoutMs = Number(process.env.LLMPASS_REDIS_TIMEOUT_MS) || undefined;
  return RedisState.connect({ ...settings, ...connection, timeoutMs, ...tuning });
}
