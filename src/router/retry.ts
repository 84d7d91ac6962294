import { NetworkError, UpstreamTimeoutError } from '../errors.ts';

/** Statuses worth another try: rate limits and server-side failures (529 is Anthropic's "overloaded"). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function isRetryableError(error: unknown): boolean {
  return error instanceof NetworkError || error instanceof UpstreamTimeoutError;
}

/** Seconds or an HTTP date, as `Retry-After` may say; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with full jitter, capped so that one failing request never stalls for long. */
export function backoffMs(attempt: number, retryAfter: number | undefined, capMs: number, random = Math.random): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, capMs);
  const ceiling = Math.min(capMs, 250 * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
