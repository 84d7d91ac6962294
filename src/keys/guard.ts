// The one check in front of every proxy route: who is calling (the master key, a virtual key, or nobody), and
// whether that caller may use this route, this model, one more request now, and more of its budget.
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { keyCandidates } from '../proxy/auth.ts';
import type { Secret } from '../secret.ts';
import { hashKey, looksLikeVirtualKey, type KeyRecord } from './key.ts';
import type { RouterState, SlotResult } from '../router/state/types.ts';
import { allowedBy, routeAllowed } from './match.ts';
import { currentSpend, type KeyStore } from './store.ts';

/** A refusal, answered as an OpenAI-shaped error. */
export interface Denial {
  status: number;
  message: string;
  code: string;
  /** The error's `type` when it is not the status's usual one (LiteLLM's `budget_exceeded`). */
  type?: string;
  retryAfterSeconds?: number;
}

export type Caller = { kind: 'master' } | { kind: 'open' } | { kind: 'key'; record: KeyRecord };

/** How long a key's row answers from memory: a revoked or changed key is seen by every replica within it. */
const CACHE_MS = 1_000;
const CACHE_MAX = 10_000;
/** How often a replica writes its keys' spend: one write per key per period, whatever the request rate. */
const BOOK_EVERY_MS = 100;

const WHERE_KEYS = 'Authorization: Bearer, x-api-key, api-key, x-goog-api-key or x-llmpass-api-key';

export class KeyGuard {
  readonly #master: Buffer | undefined;
  readonly #openStore: () => Promise<KeyStore>;
  #store: Promise<KeyStore> | undefined;
  readonly #cache = new Map<string, { record: KeyRecord | undefined; at: number }>();
  /** Each key presented, with its hash: a sha256 per request was a measurable part of a keyed call's cost. */
  readonly #hashes = new Map<string, string>();
  readonly #pending = new Map<string, { cost: number; input: number; output: number; calls: number }>();
  #flushTimer: NodeJS.Timeout | undefined;
  /** The routing state's windows and in-flight counts (shared through Redis when replicas have it). */
  readonly #state: RouterState;

  constructor(masterKey: Secret | undefined, openStore: () => Promise<KeyStore>, state: RouterState) {
    this.#master = masterKey && Buffer.from(masterKey.reveal());
    this.#openStore = openStore;
    this.#state = state;
  }

  /** The store, opened on the first virtual key the proxy sees (a proxy whose callers use the master key opens none). */
  store(): Promise<KeyStore> {
    this.#store ??= this.#openStore().catch((error: unknown) => {
      this.#store = undefined;
      throw error;
    });
    return this.#store;
  }

  /** Writes the bookings still gathered and closes the store (the proxy's shutdown). */
  async close(): Promise<void> {
    clearTimeout(this.#flushTimer);
    await this.flush();
    const store = this.#store;
    this.#store = undefined;
    await store?.then((opened) => opened.close(), () => undefined);
  }

  /** Forgets a key's cached row (after an update, a delete or a booking on this replica). */
  forget(token: string): void {
    this.#cache.delete(token);
  }

  /** The key's row: from the cache while it is fresh (no promise then), else from the store. */
  #lookup(token: string, now: number): KeyRecord | undefined | Promise<KeyRecord | undefined> {
    const cached = this.#cache.get(token);
    if (cached && now - cached.at < CACHE_MS) return cached.record;
    return this.store()
      .then((store) => store.get(token))
      .then((record) => {
        if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
        this.#cache.set(token, { record, at: now });
        return record;
      });
  }

  #hashOf(key: string): string {
    let hashed = this.#hashes.get(key);
    if (hashed === undefined) {
      if (this.#hashes.size >= CACHE_MAX) this.#hashes.clear();
      hashed = hashKey(key);
      this.#hashes.set(key, hashed);
    }
    return hashed;
  }

  /**
   * Who presents which credential; a Denial when a key is missing, wrong, expired or revoked. Answered at once for
   * the master key, no key at all and a key whose row is cached: a promise only when the store is read.
   */
  identify(headers: IncomingHttpHeaders, queryKey: string | null, now = Date.now()): Caller | Denial | Promise<Caller | Denial> {
    if (!this.#master) return OPEN;
    const candidates = keyCandidates(headers, queryKey);
    for (const candidate of candidates) {
      // Only a candidate of the master key's length is compared (in constant time): its length is all that leaks.
      if (Buffer.byteLength(candidate) !== this.#master.length) continue;
      if (timingSafeEqual(Buffer.from(candidate), this.#master)) return MASTER;
    }
    // The Vertex and AWS SDKs put their own token in Authorization: any candidate that is a virtual key counts.
    return this.#firstKey(candidates, 0, now);
  }

  #firstKey(candidates: readonly string[], from: number, now: number): Caller | Denial | Promise<Caller | Denial> {
    for (let i = from; i < candidates.length; i++) {
      if (!looksLikeVirtualKey(candidates[i]!)) continue;
      const record = this.#lookup(this.#hashOf(candidates[i]!), now);
      if (record instanceof Promise) return record.then((found) => (found ? keyCaller(found, now) : this.#firstKey(candidates, i + 1, now)));
      if (record) return keyCaller(record, now);
    }
    return { status: 401, message: `missing or wrong key: send the master key or a virtual key as ${WHERE_KEYS}`, code: 'invalid_api_key' };
  }

  /** A route outside the key's allowed routes. */
  checkRoute(caller: Caller, path: string): Denial | undefined {
    if (caller.kind !== 'key' || routeAllowed(caller.record.allowed_routes, path)) return undefined;
    return { status: 401, message: `key ${caller.record.key_name} may not call route ${path}: it is allowed ${caller.record.allowed_routes.join(', ')}`, code: 'route_not_allowed' };
  }

  /** A model (an alias, or a provider's own model name) outside the key's models; none named counts as outside. */
  checkModel(caller: Caller, model: string | undefined): Denial | undefined {
    if (caller.kind !== 'key' || caller.record.models.length === 0) return undefined;
    if (model !== undefined && allowedBy(caller.record.models, model)) return undefined;
    const allowed = caller.record.models.join(', ');
    const named = model === undefined ? 'a request that names no model' : `model "${model}"`;
    return { status: 401, message: `key ${caller.record.key_name} may not call ${named}: it is allowed ${allowed}`, code: 'model_not_allowed' };
  }

  /**
   * Books one call of a key: its tokens count toward its tpm here at once, its cost and tokens go to the shared
   * store (the usage wiring calls this with each call's cost). Never fails the call: a store error drops the booking.
   */
  bookSpend(keyHash: string, cost: number | null, tokens: { input?: number | undefined; output?: number | undefined }): void {
    this.#state.recordTokens(counterId(keyHash), (tokens.input ?? 0) + (tokens.output ?? 0));
    // Seen at once by this replica's next budget check; written with the others of its key every BOOK_EVERY_MS.
    const cached = this.#cache.get(keyHash)?.record;
    if (cached && cost) cached.spend += cost;
    let pending = this.#pending.get(keyHash);
    if (!pending) this.#pending.set(keyHash, (pending = { cost: 0, input: 0, output: 0, calls: 0 }));
    pending.cost += cost ?? 0;
    pending.input += tokens.input ?? 0;
    pending.output += tokens.output ?? 0;
    pending.calls += 1;
    this.#flushTimer ??= setTimeout(() => void this.flush(), BOOK_EVERY_MS).unref();
  }

  /** Writes the bookings gathered so far, one statement per key; a store error drops them (never fails a call). */
  async flush(): Promise<void> {
    this.#flushTimer = undefined;
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending];
    this.#pending.clear();
    try {
      const store = await this.store();
      for (const [token, booked] of batch) {
        await store.bookSpend(token, booked.cost, booked);
        this.forget(token);
      }
    } catch {
      // the request log's own health reporting says when the database is away
    }
  }

  /** Whether the key may list an alias (model lists show only these). */
  mayUse(caller: Caller, alias: string): boolean {
    return caller.kind !== 'key' || allowedBy(caller.record.models, alias);
  }

  /** Budget, then rpm/tpm/parallel: a slot to release when the request ends, or a Denial. */
  admit(caller: Caller, now = Date.now()): { release: () => void } | Denial | Promise<{ release: () => void } | Denial> {
    if (caller.kind !== 'key') return NO_SLOT;
    const record = caller.record;
    if (record.max_budget !== null) {
      const spend = currentSpend(record, now);
      if (spend >= record.max_budget) {
        const reset = record.budget_reset_at === null ? '' : `; it resets at ${new Date(record.budget_reset_at).toISOString()}`;
        return { status: 400, type: 'budget_exceeded', code: '400', message: `Budget has been exceeded! Key ${record.key_name}: current cost ${spend}, max budget ${record.max_budget}${reset}` };
      }
    }
    if (record.rpm_limit === null && record.tpm_limit === null && record.max_parallel_requests === null) return NO_SLOT;
    const id = counterId(record.token);
    if (record.max_parallel_requests !== null && this.#state.inFlight(id) >= record.max_parallel_requests) return overLimit(record, `max_parallel_requests (${record.max_parallel_requests})`, 1);
    const limits = { rpm: record.rpm_limit ?? undefined, tpm: record.tpm_limit ?? undefined };
    const settle = (slot: SlotResult) => (slot.ok ? slot : overLimit(record, slot.limit === 'rpm' ? `rpm_limit (${record.rpm_limit})` : `tpm_limit (${record.tpm_limit})`, Math.max(1, Math.ceil(slot.retryAfterMs / 1000))));
    const slot = this.#state.acquire(id, limits);
    return slot instanceof Promise ? slot.then(settle) : settle(slot);
  }
}

/** What admit() gives a call that holds no slot (the master key, a key without limits): nothing to give back. */
export const NO_SLOT = { release: () => undefined };
const OPEN: Caller = { kind: 'open' };
const MASTER: Caller = { kind: 'master' };

function keyCaller(record: KeyRecord, now: number): Caller | Denial {
  if (record.blocked) return { status: 401, message: `key ${record.key_name} is revoked (blocked): ask for a new one`, code: 'key_blocked' };
  if (record.expires !== null && record.expires <= now) return { status: 401, message: `key ${record.key_name} expired at ${new Date(record.expires).toISOString()}: ask for a new one`, code: 'key_expired' };
  return { kind: 'key', record };
}

const counterIds = new Map<string, string>();

/** A key's name in the routing state (and so in Redis): a hash of its hash, never the stored one; made once per key. */
function counterId(token: string): string {
  let id = counterIds.get(token);
  if (id === undefined) {
    if (counterIds.size >= CACHE_MAX) counterIds.clear();
    id = `key:${hash('sha256', token, 'hex').slice(0, 20)}`;
    counterIds.set(token, id);
  }
  return id;
}

function overLimit(record: KeyRecord, what: string, retryAfterSeconds: number): Denial {
  return { status: 429, message: `key ${record.key_name} is over its ${what}: retry after ${retryAfterSeconds}s`, code: 'rate_limit_exceeded', retryAfterSeconds };
}

export function isDenial(value: object): value is Denial {
  return 'status' in value;
}
