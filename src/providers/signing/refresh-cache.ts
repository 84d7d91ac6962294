/** A value that stops being good at `expiresAt` (ms since the epoch); never, when undefined. */
export interface Expiring<T> {
  value: T;
  expiresAt: number | undefined;
}

/** Refreshed this long before expiry, or halfway through a shorter life. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * One credential or token, fetched when first asked for and again before it expires. Callers who ask while a fetch
 * is under way share it: a burst of calls makes one fetch, not one each. A failed fetch is not kept.
 */
export class RefreshingValue<T> {
  readonly #fetch: () => Promise<Expiring<T>>;
  #current: { value: T; refreshAt: number } | undefined;
  #pending: Promise<T> | undefined;

  constructor(fetch: () => Promise<Expiring<T>>) {
    this.#fetch = fetch;
  }

  get(): Promise<T> {
    const current = this.#current;
    if (current && Date.now() < current.refreshAt) return Promise.resolve(current.value);
    this.#pending ??= this.#refresh();
    return this.#pending;
  }

  async #refresh(): Promise<T> {
    try {
      const fetchedAt = Date.now();
      const fresh = await this.#fetch();
      const life = fresh.expiresAt === undefined ? Infinity : fresh.expiresAt - fetchedAt;
      this.#current = { value: fresh.value, refreshAt: fetchedAt + life - Math.min(REFRESH_MARGIN_MS, life / 2) };
      return fresh.value;
    } finally {
      this.#pending = undefined;
    }
  }
}

/** One RefreshingValue per key (a credential source), made on first use. */
export function refreshingValues<T>(): (key: string, fetch: () => Promise<Expiring<T>>) => Promise<T> {
  const values = new Map<string, RefreshingValue<T>>();
  return (key, fetch) => {
    let value = values.get(key);
    if (!value) values.set(key, (value = new RefreshingValue(fetch)));
    return value.get();
  };
}
