export interface AdaptiveWindowOptions {
  /** The longest pause one `Retry-After` may impose on the whole batch. */
  maxPauseMs?: number | undefined;
  now?: () => number;
}

/**
 * How many requests a batch may have in flight: additive increase, multiplicative decrease, as TCP's congestion
 * window. It starts at the concurrency asked for; an overloaded answer (429, or any `Retry-After`) halves it, at
 * most once per round of requests so that one burst of 429s does not collapse it to 1, and pauses new requests
 * for as long as `Retry-After` asks; each answer that was not overloaded grows it back by 1/limit, so by one per
 * window's worth of answers.
 */
export class AdaptiveWindow {
  readonly max: number;
  readonly #maxPauseMs: number;
  readonly #now: () => number;
  #limit: number;
  #pausedUntil = 0;
  #decreases = 0;

  constructor(max: number, options: AdaptiveWindowOptions = {}) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be a positive integer, got ${max}`);
    this.max = max;
    this.#limit = max;
    this.#maxPauseMs = options.maxPauseMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Requests that may be in flight now. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** Which slowdown a request starting now has seen: handed back to `slowDown`. */
  get round(): number {
    return this.#decreases;
  }

  /** Milliseconds before new requests may start; 0 when they may start now. */
  pausedFor(): number {
    return Math.max(0, this.#pausedUntil - this.#now());
  }

  /** An answer that was not overloaded. Whether the (whole) limit changed. */
  grow(): boolean {
    if (this.#limit >= this.max) return false;
    const before = this.limit;
    this.#limit = Math.min(this.max, this.#limit + 1 / this.#limit);
    return this.limit !== before;
  }

  /**
   * An overloaded answer to a request that started in `round`. Halves the limit unless another answer already did
   * since that request started; pauses for `retryAfterMs` (capped). Returns the round the request is now in.
   */
  slowDown(round: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + Math.min(retryAfterMs, this.#maxPauseMs));
    }
    if (round === this.#decreases) {
      this.#limit = Math.max(1, this.#limit / 2);
      this.#decreases += 1;
    }
    return this.#decreases;
  }
}
