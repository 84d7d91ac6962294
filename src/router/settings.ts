import type { Config } from '../config/load.ts';
import { DEFAULT_ALLOWED_FAILS, DEFAULT_COOLDOWN_SECONDS, firstNumber } from '../config/numbers.ts';
import type { StateSettings } from './state/types.ts';

export type RoutingStrategy = 'simple-shuffle' | 'least-busy';

export interface RouterSettings {
  /** Retries after the first attempt (LiteLLM's `num_retries`); 2 when unset. */
  numRetries?: number;
  routingStrategy?: RoutingStrategy;
  /** Failures in a row before a deployment is cooled down (LiteLLM's default: 3). */
  allowedFails?: number;
  /** Seconds a cooled-down deployment is skipped (LiteLLM's default: 5). */
  cooldownTime?: number;
  /** `[{ alias: [other aliases] }]`, tried in order when every deployment of an alias failed. */
  fallbacks?: Array<Record<string, string[]>>;
  /** Seconds to wait for headers and between chunks when a deployment sets none. */
  timeout?: number;
  /** The longest pause between retries, in milliseconds, whatever `Retry-After` says. */
  maxBackoffMs?: number;
}

/** Every setting decided: the Router reads these, never the raw config. */
export type ResolvedRouterSettings = Required<Omit<RouterSettings, 'timeout'>> & { timeout: number | undefined };

/** The rate-limit window when router_settings.rate_limit_window_seconds is unset. */
const DEFAULT_WINDOW_SECONDS = 60;

/**
 * The one place the config's routing defaults are read: the caller's options, then router_settings, then
 * litellm_settings, then LiteLLM's defaults.
 */
export function routerSettings(config: Config, options: RouterSettings = {}): ResolvedRouterSettings {
  const router = config.raw.router_settings ?? {};
  const litellm = config.raw.litellm_settings ?? {};
  return {
    numRetries: firstNumber(options.numRetries, router.num_retries, litellm.num_retries) ?? 2,
    routingStrategy: (options.routingStrategy ?? (router.routing_strategy as RoutingStrategy | undefined) ?? 'simple-shuffle') as RoutingStrategy,
    allowedFails: firstNumber(options.allowedFails, router.allowed_fails) ?? DEFAULT_ALLOWED_FAILS,
    cooldownTime: firstNumber(options.cooldownTime, router.cooldown_time) ?? DEFAULT_COOLDOWN_SECONDS,
    fallbacks: options.fallbacks ?? router.fallbacks ?? litellm.fallbacks ?? [],
    timeout: firstNumber(options.timeout, router.timeout, litellm.request_timeout),
    maxBackoffMs: options.maxBackoffMs ?? 5_000,
  };
}

/** allowed_fails, cooldown_time and the rate-limit window, as the routing state takes them; `overrides` (the Router's options) win. */
export function stateSettings(config: Config, overrides: Pick<RouterSettings, 'allowedFails' | 'cooldownTime'> = {}): StateSettings {
  const { allowedFails, cooldownTime } = routerSettings(config, overrides);
  const window = firstNumber(config.raw.router_settings?.rate_limit_window_seconds);
  return {
    allowedFails,
    cooldownMs: cooldownTime * 1000,
    windowMs: Math.round((window && window > 0 ? window : DEFAULT_WINDOW_SECONDS) * 1000),
  };
}
