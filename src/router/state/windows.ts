/**
 * Rate-limit windows in memory, with the same arithmetic as the Redis scripts (redis-scripts.ts): requests are
 * a sliding log (exact: never more than `rpm` in any window), tokens are summed in ten buckets per window
 * (a bucket counts until its end leaves the window, so the estimate errs on the full side).
 */

export const TOKEN_BUCKETS = 10;

/**
 * Requests started in the last window, as their start times, oldest first. Only the latest `limit` matter (the
 * window is full when they all fall in it, and the oldest of them says when it frees), so no more are kept.
 */
export class RequestLog {
  #times: number[] = [];
  /** Where the live entries start: dropping from the front is a step, not a copy of the array. */
  #head = 0;

  /** Takes a slot when fewer than `limit` started within the window; else the ms until the oldest leaves it. */
  take(now: number, limit: number, windowMs: number): number {
    this.#trim(now, limit, windowMs);
    if (this.#times.length - this.#head >= limit) return Math.max(1, this.#times[this.#head]! + windowMs - now);
    this.#times.push(now);
    return 0;
  }

  /** Records a slot taken elsewhere (in Redis), so the log is current if this replica has to go it alone. */
  record(now: number, limit: number, windowMs: number): void {
    this.#times.push(now);
    this.#trim(now, limit, windowMs);
  }

  #trim(now: number, limit: number, windowMs: number): void {
    const times = this.#times;
    let head = this.#head;
    while (head < times.length && (times[head]! <= now - windowMs || times.length - head > limit)) head++;
    if (head > 1024 && head * 2 > times.length) {
      this.#times = times.slice(head);
      head = 0;
    }
    this.#head = head;
  }
}

/** Tokens used in the last window, in buckets of a tenth of it. */
export class TokenBuckets {
  readonly #buckets = new Map<number, number>();

  add(now: number, tokens: number, windowMs: number): void {
    const start = bucketStart(now, windowMs);
    this.#buckets.set(start, (this.#buckets.get(start) ?? 0) + tokens);
  }

  /** 0 while the window has room; else the ms until its oldest bucket leaves it. */
  wait(now: number, limit: number, windowMs: number): number {
    const width = bucketWidth(windowMs);
    let used = 0;
    let oldest = Infinity;
    for (const [start, tokens] of this.#buckets) {
      if (start + width <= now - windowMs) this.#buckets.delete(start);
      else {
        used += tokens;
        oldest = Math.min(oldest, start);
      }
    }
    return used >= limit ? Math.max(1, oldest + width + windowMs - now) : 0;
  }
}

/** Whole milliseconds, as the Redis script keys its buckets. */
export function bucketWidth(windowMs: number): number {
  return Math.max(1, Math.floor(windowMs / TOKEN_BUCKETS));
}

export function bucketStart(now: number, windowMs: number): number {
  const width = bucketWidth(windowMs);
  return Math.floor(now / width) * width;
}
