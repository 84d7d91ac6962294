import { RequestLog, TokenBuckets } from './windows.ts';
import { hasLimits, type RouterState, type SlotResult, type StateReport, type StateSettings } from './types.ts';
import type { DeploymentLimits } from '../../core/deployment.ts';

/**
 * The Router's state for one process: consecutive failures, cooldowns, rpm and tpm windows and requests in
 * flight. Also each replica's own state under Redis (redis.ts), kept current so it can take over when Redis fails.
 */
export class MemoryState implements RouterState {
  readonly settings: StateSettings;
  readonly #fails = new Map<string, number>();
  readonly #coolUntil = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  readonly #requests = new Map<string, RequestLog>();
  readonly #tokens = new Map<string, TokenBuckets>();

  constructor(settings: StateSettings) {
    this.settings = settings;
  }

  isCooling(id: string, now = Date.now()): boolean {
    const until = this.#coolUntil.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#coolUntil.delete(id);
    return false;
  }

  /** Cools a deployment down until `until` (a cooldown another replica started, when this one takes over). */
  coolUntil(id: string, until: number): void {
    if (until > (this.#coolUntil.get(id) ?? 0)) this.#coolUntil.set(id, until);
  }

  /** The cooldowns still running, as [id, until]. */
  cooldowns(now = Date.now()): Array<[string, number]> {
    return [...this.#coolUntil].filter(([, until]) => until > now);
  }

  failed(id: string, canCool: boolean, now = Date.now()): boolean {
    const fails = (this.#fails.get(id) ?? 0) + 1;
    this.#fails.set(id, fails);
    if (canCool && fails >= this.settings.allowedFails) {
      this.#coolUntil.set(id, now + this.settings.cooldownMs);
      this.#fails.set(id, 0);
      return true;
    }
    return false;
  }

  succeeded(id: string): void {
    this.#fails.delete(id);
  }

  inFlight(id: string): number {
    return this.#inFlight.get(id) ?? 0;
  }

  /** The ids with requests in flight, and how many. */
  inFlightCounts(): Map<string, number> {
    return this.#inFlight;
  }

  acquire(id: string, limits: DeploymentLimits | undefined, now = Date.now()): SlotResult {
    if (hasLimits(limits)) {
      const refused = this.#checkWindows(id, limits, now);
      if (refused) return refused;
    }
    return this.started(id);
  }

  /** Counts a call in flight without any window (its slot was taken in Redis; see `recordRequest`). */
  started(id: string): SlotResult {
    this.#inFlight.set(id, this.inFlight(id) + 1);
    let done = false;
    return {
      ok: true,
      release: () => {
        if (done) return;
        done = true;
        const left = this.inFlight(id) - 1;
        if (left > 0) this.#inFlight.set(id, left);
        else this.#inFlight.delete(id);
      },
    };
  }

  /** Mirrors a slot taken in the shared window, so this replica's own window is current if Redis goes away. */
  recordRequest(id: string, limit: number, now = Date.now()): void {
    this.#requestLog(id).record(now, limit, this.settings.windowMs);
  }

  recordTokens(id: string, tokens: number, now = Date.now()): void {
    if (!(tokens > 0)) return;
    let buckets = this.#tokens.get(id);
    if (!buckets) this.#tokens.set(id, (buckets = new TokenBuckets()));
    buckets.add(now, tokens, this.settings.windowMs);
  }

  report(): StateReport {
    return { backend: 'memory', shared: false };
  }

  subscribe(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}

  #checkWindows(id: string, limits: DeploymentLimits, now: number): SlotResult | undefined {
    const windowMs = this.settings.windowMs;
    if (limits.tpm !== undefined) {
      const wait = this.#tokens.get(id)?.wait(now, limits.tpm, windowMs) ?? 0;
      if (wait > 0) return { ok: false, limit: 'tpm', retryAfterMs: wait };
    }
    if (limits.rpm !== undefined) {
      const wait = this.#requestLog(id).take(now, limits.rpm, windowMs);
      if (wait > 0) return { ok: false, limit: 'rpm', retryAfterMs: wait };
    }
    return undefined;
  }

  #requestLog(id: string): RequestLog {
    let log = this.#requests.get(id);
    if (!log) this.#requests.set(id, (log = new RequestLog()));
    return log;
  }
}
