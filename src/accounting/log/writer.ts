/*
 * The request log's writer: what every face will hand its rows to. Design:
 *
 * - `record(row)` is the only call on a request's path. It is synchronous and O(1): the row goes into a
 *   fixed-size ring (no array growth, no copy, no serialisation), and a timer is armed if none is. It never
 *   throws and never waits: a full ring drops the row and counts it (`dropped`), a closed writer too.
 * - Rows leave the ring in batches (up to `batchSize`, or whatever is there after `flushMs`), one write at a time,
 *   in a transaction (SQLite) or one multi-row INSERT (PostgreSQL). A row leaves the ring only once its batch is
 *   stored, so a store that is down or slow loses nothing until the ring is full; the batch is retried in the
 *   background with exponential backoff (jittered, capped). Inserts skip ids already stored, so a batch retried
 *   after a lost commit acknowledgement is never doubled.
 * - The store is opened on the first write, not at start-up (a one-shot call loads no driver before its answer);
 *   an open that fails is retried like a write. A store migrated by a newer llmpass is a permanent failure: the
 *   writer stops trying and counts what it drops.
 * - `status()` reports the state (`ok`, `retrying`, `failed`, ...) and counters, for /health/readiness and
 *   /metrics; `onNotice` gets one line per episode (store down, store back, queue full), not one per row.
 * - Retention deletes rows older than `retentionDays` in small batches between writes, once after the store opens
 *   and then every `pruneEveryMs`; SQLite then gives the freed pages back (incremental vacuum).
 * - `close(deadlineMs)` writes what is queued within the deadline, counts the rest as dropped, and closes the store.
 *
 * One file (~330 lines) because the ring, the retry loop, retention and close share one state machine: split, each
 * part would need the others' private state.
 */
import { SchemaTooNewError, type LogStore } from './store.ts';
import type { RequestRow } from './row.ts';

export type WriterState = 'idle' | 'ok' | 'retrying' | 'failed' | 'closed';

export interface WriterStatus {
  state: WriterState;
  /** Where rows go (a path, or a URL without its password), once the store has opened. */
  store: string | undefined;
  queued: number;
  written: number;
  dropped: number;
  /** Failed writes or opens in a row (0 when the last one succeeded). */
  failures: number;
  lastError: string | undefined;
  pruned: number;
}

export interface LogWriterOptions {
  /** Opens the store; called on the first write and again after a failed open. */
  open: () => Promise<LogStore>;
  /** Rows held in memory at most; more are dropped and counted. */
  capacity?: number;
  batchSize?: number;
  flushMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Rows older than this many days are deleted; 0 keeps every row. */
  retentionDays?: number;
  pruneEveryMs?: number;
  /** The clock retention reads (tests set it). */
  now?: () => number;
  /** One line per episode (store down, back, queue full, refused), for the caller's own log. */
  onNotice?: (message: string) => void;
}

const DAY_MS = 86_400_000;
const PRUNE_BATCH = 1_000;

export class LogWriter {
  readonly #ring: Array<RequestRow | undefined>;
  #head = 0;
  #size = 0;
  readonly #batchSize: number;
  readonly #flushMs: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #retentionMs: number;
  readonly #pruneEveryMs: number;
  readonly #open: () => Promise<LogStore>;
  readonly #onNotice: ((message: string) => void) | undefined;
  readonly #now: () => number;

  #store: LogStore | undefined;
  #state: WriterState = 'idle';
  #timer: NodeJS.Timeout | undefined;
  #timerMs = 0;
  #pruneTimer: NodeJS.Timeout | undefined;
  #writing: Promise<boolean> | undefined;
  #pruning: Promise<number> | undefined;
  #closing = false;
  #written = 0;
  #dropped = 0;
  #droppingSince: number | undefined;
  #failures = 0;
  #lastError: string | undefined;
  #pruned = 0;
  /** Whether a retention pass has run since the store opened (a one-shot call's writer closes before the first). */
  #prunePassed = false;
  /** Bumped when the ring is emptied by force, so a write that lands afterwards does not release rows twice. */
  #epoch = 0;

  constructor(options: LogWriterOptions) {
    const capacity = options.capacity ?? 10_000;
    this.#ring = new Array<RequestRow | undefined>(capacity).fill(undefined);
    this.#batchSize = Math.min(options.batchSize ?? 500, capacity);
    this.#flushMs = options.flushMs ?? 200;
    this.#retryMinMs = options.retryMinMs ?? 100;
    this.#retryMaxMs = options.retryMaxMs ?? 5_000;
    this.#retentionMs = (options.retentionDays ?? 30) * DAY_MS;
    this.#pruneEveryMs = options.pruneEveryMs ?? 3_600_000;
    this.#open = options.open;
    this.#onNotice = options.onNotice;
    this.#now = options.now ?? Date.now;
  }

  /** Queues one row for the log. Synchronous, O(1), never throws; a row that does not fit is dropped and counted. */
  record(row: RequestRow): void {
    const capacity = this.#ring.length;
    if (this.#size === capacity || this.#closing || this.#state === 'failed') {
      this.#drop(1);
      return;
    }
    this.#ring[(this.#head + this.#size) % capacity] = row;
    this.#size += 1;
    if (this.#size >= this.#batchSize && this.#state !== 'retrying') this.#schedule(0);
    else if (!this.#timer) this.#schedule(this.#flushMs);
  }

  status(): WriterStatus {
    return {
      state: this.#state,
      store: this.#store?.where,
      queued: this.#size,
      written: this.#written,
      dropped: this.#dropped,
      failures: this.#failures,
      lastError: this.#lastError,
      pruned: this.#pruned,
    };
  }

  /** Writes what is queued now, one attempt per batch; resolves false when a write failed (then it is retried). */
  async flush(): Promise<boolean> {
    for (;;) {
      if (this.#writing) await this.#writing;
      if (this.#size === 0 || this.#state === 'failed') return this.#state !== 'failed';
      if (!(await this.#write())) return false;
    }
  }

  /** Deletes rows past retention now, in small batches; how many went. */
  async prune(): Promise<number> {
    if (this.#retentionMs <= 0) return 0;
    this.#pruning ??= this.#pruneBatches(this.#now() - this.#retentionMs).finally(() => (this.#pruning = undefined));
    return this.#pruning;
  }

  /** Writes what is queued within `deadlineMs`, counts the rest as dropped, closes the store. */
  async close(deadlineMs = 2_000): Promise<WriterStatus> {
    this.#closing = true;
    this.#clearTimers();
    const deadline = Date.now() + deadlineMs;
    let waited: NodeJS.Timeout | undefined;
    const timeUp = new Promise<void>((resolve) => (waited = setTimeout(resolve, deadlineMs)));
    const drain = async (): Promise<void> => {
      while (this.#size > 0 && this.#state !== 'failed' && Date.now() < deadline) {
        if (!(await this.flush())) await sleep(Math.min(this.#backoff(), Math.max(0, deadline - Date.now())));
      }
    };
    await Promise.race([drain(), timeUp]);
    // A one-shot process (a call) closes before retention's first pass ever ran: one batch now, within the deadline.
    if (!this.#prunePassed && this.#retentionMs > 0 && this.#store && Date.now() < deadline) await Promise.race([this.#pruneOnce(this.#store), timeUp]);
    clearTimeout(waited);
    this.#clearTimers();
    this.#dropAll();
    const store = this.#store;
    this.#store = undefined;
    // A write or prune still waiting on a dead server must not hold the caller past its deadline.
    const grace = Math.max(50, deadline - Date.now());
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([this.#pruning?.catch(() => {}), store?.close().catch(() => {})]), new Promise((resolve) => (graceTimer = setTimeout(resolve, grace)))]);
    // Cleared, not left to run out: a process closing its log (a one-shot call) exits as soon as the store is closed.
    clearTimeout(graceTimer);
    if (this.#state !== 'failed') this.#state = 'closed';
    return this.status();
  }

  #schedule(ms: number): void {
    if (this.#timer) {
      if (ms > 0 || this.#timerMs === 0) return;
      clearTimeout(this.#timer);
    }
    this.#timerMs = ms;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, ms);
    this.#timer.unref();
  }

  /** The timer's work: write batches while full ones are waiting, then wait for the next window or retry. */
  async #run(): Promise<void> {
    if (this.#closing) return;
    let ok = await this.#write();
    while (ok && this.#size >= this.#batchSize && !this.#closing) ok = await this.#write();
    if (this.#closing || this.#state === 'failed' || this.#size === 0) return;
    this.#schedule(ok ? this.#flushMs : this.#backoff());
  }

  /** One batch from the head of the ring, written once; true when stored. One at a time: a caller during a write shares it. */
  #write(): Promise<boolean> {
    if (this.#writing) return this.#writing;
    const attempt = this.#writeBatch().finally(() => (this.#writing = undefined));
    this.#writing = attempt;
    return attempt;
  }

  async #writeBatch(): Promise<boolean> {
    const capacity = this.#ring.length;
    const count = Math.min(this.#size, this.#batchSize);
    if (count === 0) return true;
    const epoch = this.#epoch;
    const batch = new Array<RequestRow>(count);
    for (let i = 0; i < count; i++) batch[i] = this.#ring[(this.#head + i) % capacity]!;
    try {
      const store = this.#store ?? (await this.#openStore());
      await store.insert(batch);
    } catch (error) {
      this.#failed(error);
      return false;
    }
    if (epoch !== this.#epoch) {
      // close() gave up on these rows at its deadline, but they made it after all.
      this.#dropped -= count;
      this.#written += count;
      return true;
    }
    for (let i = 0; i < count; i++) this.#ring[(this.#head + i) % capacity] = undefined;
    this.#head = (this.#head + count) % capacity;
    this.#size -= count;
    this.#written += count;
    this.#recovered();
    return true;
  }

  async #openStore(): Promise<LogStore> {
    const store = await this.#open();
    if (this.#closing && this.#state === 'closed') {
      await store.close();
      throw new Error('the request log writer is closed');
    }
    this.#store = store;
    if (this.#retentionMs > 0 && !this.#closing) {
      // First pass soon after opening, off this write's path; then on a slow timer.
      setImmediate(() => void this.prune().catch(() => {}));
      this.#pruneTimer = setInterval(() => void this.prune().catch(() => {}), this.#pruneEveryMs);
      this.#pruneTimer.unref();
    }
    return store;
  }

  async #pruneBatches(before: number): Promise<number> {
    this.#prunePassed = true;
    let total = 0;
    while (this.#store && !this.#closing) {
      const gone = await this.#pruneBatch(this.#store, before);
      total += gone;
      if (gone < PRUNE_BATCH) break;
      // Let queued writes in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }

  async #pruneBatch(store: LogStore, before: number): Promise<number> {
    const gone = await store.prune(before, PRUNE_BATCH);
    this.#pruned += gone;
    if (gone > 0) await store.compact();
    return gone;
  }

  async #pruneOnce(store: LogStore): Promise<void> {
    this.#prunePassed = true;
    await this.#pruneBatch(store, this.#now() - this.#retentionMs).catch(() => {});
  }

  #failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#failures += 1;
    this.#lastError = message;
    // A write that fails after close() gave up on its rows changes nothing: they are already counted as dropped.
    if (this.#closing && this.#size === 0) return;
    if (error instanceof SchemaTooNewError) {
      this.#state = 'failed';
      this.#notice(`request log: ${message}; calls are not logged`);
      this.#dropAll();
      return;
    }
    if (this.#state !== 'retrying') this.#notice(`request log: ${message}; rows are kept in memory (up to ${this.#ring.length}) and retried`);
    this.#state = 'retrying';
  }

  #recovered(): void {
    if (this.#state === 'retrying') this.#notice(`request log: ${this.#store?.where ?? 'store'} is back after ${this.#failures} failed attempts`);
    if (this.#droppingSince !== undefined) {
      this.#notice(`request log: ${this.#dropped - this.#droppingSince} rows were dropped while the queue was full`);
      this.#droppingSince = undefined;
    }
    this.#state = 'ok';
    this.#failures = 0;
    this.#lastError = undefined;
  }

  #drop(count: number): void {
    if (count === 0) return;
    if (this.#droppingSince === undefined && !this.#closing && this.#state !== 'failed') {
      this.#droppingSince = this.#dropped;
      this.#notice(`request log: queue full (${this.#ring.length} rows), dropping rows until the store catches up`);
    }
    this.#dropped += count;
  }

  #dropAll(): void {
    if (this.#size === 0) return;
    this.#drop(this.#size);
    this.#ring.fill(undefined);
    this.#size = 0;
    this.#head = 0;
    this.#epoch += 1;
  }

  #notice(message: string): void {
    try {
      this.#onNotice?.(message);
    } catch {
      // A broken notice sink must not reach the caller of record().
    }
  }

  #backoff(): number {
    const exp = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** Math.max(0, this.#failures - 1));
    return Math.round(exp / 2 + (Math.random() * exp) / 2);
  }

  #clearTimers(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
