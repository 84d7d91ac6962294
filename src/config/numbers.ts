/** The first of several settings (an option, then router_settings, then litellm_settings) that is a usable number. */
export function firstNumber(...values: unknown[]): number | undefined {
  for (const value of values) {
    if (value === undefined || value === null) continue;
    const n = Number(value);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  return undefined;
}

/** LiteLLM's router defaults (litellm/constants.py: DEFAULT_ALLOWED_FAILS, DEFAULT_COOLDOWN_TIME_SECONDS). */
export const DEFAULT_ALLOWED_FAILS = 3;
export const DEFAULT_COOLDOWN_SECONDS = 5;
