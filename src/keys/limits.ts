/**
 * A key's rpm, tpm and parallel counters, in this process (per replica; see README "Virtual keys"): fixed
 * one-minute windows, as the Router's own limits.
 */
export interface KeyLimits {
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
}

export type LimitRefusal = { limit: 'rpm' | 'tpm' | 'parallel'; retryAfterSeconds: number };

interface Counters {
  window: number;
  requests: number;
  tokens: number;
  inFlight: number;
}

const WINDOW_MS = 60_000;

export class KeyCounters {
  readonly #byKey = new Map<string, Counters>();

  #counters(token: string, now: number): Counters {
    const window = Math.floor(now / WINDOW_MS);
    let counters = this.#byKey.get(token);
    if (!counters) this.#byKey.set(token, (counters = { window, requests: 0, tokens: 0, inFlight: 0 }));
    if (counters.window !== window) {
      counters.window = window;
      counters.requests = 0;
      counters.tokens = 0;
    }
    return counters;
  }

  /** Takes a request slot, or says which limit refuses it; `release()` ends the request. */
  acquire(token: string, limits: KeyLimits, now = Date.now()): { release: () => void } | LimitRefusal {
    const counters = this.#counters(token, now);
    const retryAfterSeconds = Math.max(1, Math.ceil(((counters.window + 1) * WINDOW_MS - now) / 1000));
    if (limits.max_parallel_requests !== null && counters.inFlight >= limits.max_parallel_requests) return { limit: 'parallel', retryAfterSeconds: 1 };
    if (limits.rpm_limit !== null && counters.requests >= limits.rpm_limit) return { limit: 'rpm', retryAfterSeconds };
    if (limits.tpm_limit !== null && counters.tokens >= limits.tpm_limit) return { limit: 'tpm', retryAfterSeconds };
    counters.requests += 1;
    counters.inFlight += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        counters.inFlight -= 1;
      },
    };
  }

  recordTokens(token: string, tokens: number, now = Date.now()): void {
    this.#counters(token, now).tokens += tokens;
  }
}
