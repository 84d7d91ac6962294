import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { withDeadline } from './deadline.ts';
import { MemoryState } from './memory.ts';
import { ACQUIRE, ADD_TOKENS, COOL_DOWN, SYNC } from './redis-scripts.ts';
import { hasLimits, type RouterState, type SlotResult, type StateEvent, type StateReport, type StateSettings } from './types.ts';
import { bucketWidth } from './windows.ts';
import type { DeploymentLimits } from '../../core/deployment.ts';

export interface RedisStateOptions extends StateSettings {
  /** `redis://[:password@]host:port[/db]` or `rediss://...`. */
  url: string;
  /** The same URL with the password masked, for logs and /health/readiness. */
  display: string;
  /** Put before every key (`llmpass:`), so that several configs can share one Redis. */
  prefix: string;
  /** Every Redis call's deadline; past it the call is served from this replica's own state. */
  timeoutMs?: number | undefined;
  /** How often cooldowns and other replicas' in-flight counts are read (and this one's written). */
  syncMs?: number | undefined;
}

/** Tokens are sent to Redis in one batch per deployment this often, not one call per answer. */
const TOKEN_FLUSH_MS = 100;

type AcquireReply = [number, number?, string?];
type SyncReply = [Array<string | number>, Array<string | number>];

/** The scripts as commands: ioredis sends EVALSHA, and the script itself on a new connection (a restarted Redis). */
interface ScriptCommands {
  llmpassAcquire(rpmKey: string, tpmKey: string, rpm: number, tpm: number, windowMs: number, bucketMs: number, member: string, count: number): Promise<AcquireReply>;
  llmpassAddTokens(tpmKey: string, tokens: number, windowMs: number, bucketMs: number): Promise<number>;
  llmpassCoolDown(cooldownsKey: string, id: string, ms: number): Promise<number>;
  llmpassSync(inFlightKey: string, cooldownsKey: string, replica: string, staleMs: number, ...counts: Array<string | number>): Promise<SyncReply>;
}

/**
 * The Router's state shared by replicas through Redis, over a MemoryState that is always kept current: when
 * Redis is unreachable or slow, calls are served from it (the same limits, per replica), and shared state
 * resumes when Redis answers again. A call to a deployment with rpm/tpm waits for one script call, shared by
 * the calls started in the same turn of the event loop (none while its window is known to be full); tokens go
 * in batches every 100 ms; cooldowns and in-flight counts are exchanged every `syncMs` in one call and read
 * from memory in between.
 */
export class RedisState implements RouterState {
  readonly #local: MemoryState;
  readonly #redis: Redis & ScriptCommands;
  readonly #options: RedisStateOptions;
  readonly #timeoutMs: number;
  readonly #replica = randomBytes(8).toString('hex');
  readonly #listeners = new Set<(event: StateEvent) => void>();
  /** Cooldowns other replicas started, as local times they end. */
  readonly #sharedCooling = new Map<string, number>();
  /** Requests in flight on other replicas, per deployment, as of the last sync. */
  readonly #othersInFlight = new Map<string, number>();
  /** Windows Redis said were full, and until when: no round trip until then. */
  readonly #fullUntil = new Map<string, { until: number; limit: 'rpm' | 'tpm' }>();
  /** Deployments whose in-flight count this replica wrote as non-zero last time (to be cleared when it drops). */
  #written = new Set<string>();
  /** Calls waiting for a slot, per deployment: all those started in one turn of the event loop ask Redis at once. */
  readonly #waiting = new Map<string, { limits: DeploymentLimits; waiters: Array<(result: SlotResult) => void> }>();
  #askScheduled = false;
  /** Tokens reported since the last flush, per deployment. */
  readonly #pendingTokens = new Map<string, number>();
  #flushTimer: NodeJS.Timeout | undefined;
  #degraded: { reason: string; since: string } | undefined;
  #lastError = '';
  #sequence = 0;
  #syncing = false;
  #closing = false;
  #timer: NodeJS.Timeout | undefined;

  private constructor(options: RedisStateOptions) {
    this.#options = options;
    this.#local = new MemoryState(options);
    // Deadlines are withDeadline's (see #call), not ioredis' commandTimeout: that one would also fire for an
    // answer already in while this process was busy, and costs a timer per call on top.
    const timeoutMs = (this.#timeoutMs = options.timeoutMs ?? 100);
    this.#redis = new Redis(options.url, {
      lazyConnect: true,
      // No INFO round trip before the first call (a Redis still loading its data answers LOADING: a fallback).
      enableReadyCheck: false,
      // Fail at once while disconnected (the local state serves), rather than queue behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(500, timeoutMs * 5),
      // Calls made in the same tick (a token flush next to a sync) go out as one write.
      enableAutoPipelining: true,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    }) as Redis & ScriptCommands;
    this.#redis.defineCommand('llmpassAcquire', { numberOfKeys: 2, lua: ACQUIRE });
    this.#redis.defineCommand('llmpassAddTokens', { numberOfKeys: 1, lua: ADD_TOKENS });
    this.#redis.defineCommand('llmpassCoolDown', { numberOfKeys: 1, lua: COOL_DOWN });
    this.#redis.defineCommand('llmpassSync', { numberOfKeys: 2, lua: SYNC });
    this.#redis.on('error', (error: Error) => {
      this.#lastError = error.message;
    });
    this.#redis.on('close', () => {
      if (!this.#closing) this.#degrade(this.#lastError ? `connection lost (${this.#lastError})` : 'connection lost');
    });
    // After a reconnect (the first connect reads in `connect`).
    this.#redis.on('ready', () => {
      if (this.#timer) void this.#sync();
    });
  }

  /** Connects (within the timeout's few multiples) and reads the shared state once; a Redis that is down is not an error. */
  static async connect(options: RedisStateOptions): Promise<RedisState> {
    const state = new RedisState(options);
    try {
      await state.#redis.connect();
      // A process starting up is slow (its code compiles, the scripts load): the first read gets more time.
      await state.#sync(Math.max(1_000, state.#timeoutMs * 10));
    } catch (error) {
      state.#degrade((error as Error).message || state.#lastError || 'cannot connect');
    }
    state.#timer = setInterval(() => void state.#sync(), options.syncMs ?? 500);
    state.#timer.unref();
    return state;
  }

  isCooling(id: string): boolean {
    if (this.#local.isCooling(id)) return true;
    const until = this.#sharedCooling.get(id);
    return until !== undefined && until > Date.now();
  }

  failed(id: string, canCool: boolean): boolean {
    const cooled = this.#local.failed(id, canCool);
    if (cooled && this.#shared()) {
      this.#call(this.#redis.llmpassCoolDown(this.#key('cooldowns'), id, this.#options.cooldownMs)).catch((error: unknown) => this.#fellBack('cooldown', error));
    }
    return cooled;
  }

  succeeded(id: string): void {
    this.#local.succeeded(id);
  }

  inFlight(id: string): number {
    return this.#local.inFlight(id) + (this.#shared() ? (this.#othersInFlight.get(id) ?? 0) : 0);
  }

  acquire(id: string, limits: DeploymentLimits | undefined): SlotResult | Promise<SlotResult> {
    if (!hasLimits(limits)) return this.#local.started(id);
    const now = Date.now();
    const full = this.#fullUntil.get(id);
    if (full && full.until > now) return { ok: false, limit: full.limit, retryAfterMs: full.until - now };
    if (!this.#shared()) return this.#local.acquire(id, limits);
    return new Promise((resolve) => {
      let waiting = this.#waiting.get(id);
      if (!waiting) this.#waiting.set(id, (waiting = { limits, waiters: [] }));
      waiting.waiters.push(resolve);
      if (this.#askScheduled) return;
      this.#askScheduled = true;
      // After the poll phase: every request that arrived in this turn is in the batch by then.
      setImmediate(() => this.#askForSlots());
    });
  }

  #askForSlots(): void {
    this.#askScheduled = false;
    const batches = [...this.#waiting];
    this.#waiting.clear();
    for (const [id, { limits, waiters }] of batches) {
      if (this.#shared()) void this.#takeSlots(id, limits, waiters);
      else for (const resolve of waiters) resolve(this.#local.acquire(id, limits));
    }
  }

  /** One script call for a deployment's waiting calls: the first `taken` go ahead, the others are refused. */
  async #takeSlots(id: string, limits: DeploymentLimits, waiters: Array<(result: SlotResult) => void>): Promise<void> {
    const { windowMs } = this.#options;
    let reply: AcquireReply;
    try {
      reply = await this.#call(
        this.#redis.llmpassAcquire(
          this.#key('rpm', id),
          this.#key('tpm', id),
          limits.rpm ?? 0,
          limits.tpm ?? 0,
          windowMs,
          bucketWidth(windowMs),
          `${this.#replica}:${(this.#sequence += 1)}`,
          waiters.length,
        ),
      );
    } catch (error) {
      this.#fellBack('acquire', error);
      for (const resolve of waiters) resolve(this.#local.acquire(id, limits));
      return;
    }
    const taken = Number(reply[0]);
    const refusal: SlotResult = { ok: false, limit: reply[2] === 'tpm' ? 'tpm' : 'rpm', retryAfterMs: Number(reply[1]) };
    if (taken < waiters.length) this.#fullUntil.set(id, { until: Date.now() + refusal.retryAfterMs, limit: refusal.limit });
    waiters.forEach((resolve, index) => {
      if (index >= taken) return resolve(refusal);
      if (limits.rpm !== undefined) this.#local.recordRequest(id, limits.rpm);
      resolve(this.#local.started(id));
    });
  }

  recordTokens(id: string, tokens: number): void {
    if (!(tokens > 0)) return;
    this.#local.recordTokens(id, tokens);
    if (!this.#shared()) return;
    this.#pendingTokens.set(id, (this.#pendingTokens.get(id) ?? 0) + tokens);
    if (!this.#flushTimer) {
      this.#flushTimer = setTimeout(() => void this.#flushTokens(), TOKEN_FLUSH_MS);
      this.#flushTimer.unref();
    }
  }

  report(): StateReport {
    return { backend: 'redis', shared: this.#shared(), redis: this.#options.display, ...(this.#degraded ? { degraded: this.#degraded } : {}) };
  }

  subscribe(listener: (event: StateEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    // A single `llmpass call` reports its tokens here, as it exits.
    if (this.#shared()) await this.#flushTokens();
    this.#closing = true;
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  async #flushTokens(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const { windowMs } = this.#options;
    const pending = [...this.#pendingTokens];
    this.#pendingTokens.clear();
    await Promise.all(
      pending.map(([id, tokens]) =>
        this.#call(this.#redis.llmpassAddTokens(this.#key('tpm', id), Math.round(tokens), windowMs, bucketWidth(windowMs))).catch((error: unknown) => this.#fellBack('tokens', error)),
      ),
    );
  }

  #call<T>(reply: Promise<T>): Promise<T> {
    return withDeadline(reply, this.#timeoutMs);
  }

  #shared(): boolean {
    return this.#degraded === undefined && this.#redis.status === 'ready';
  }

  #key(kind: string, id?: string): string {
    return id === undefined ? `${this.#options.prefix}${kind}` : `${this.#options.prefix}${kind}:${id}`;
  }

  /** Writes this replica's in-flight counts, reads cooldowns and the others' counts: one call every `syncMs`. */
  async #sync(deadlineMs = this.#timeoutMs): Promise<void> {
    if (this.#syncing || this.#closing || this.#redis.status !== 'ready') return;
    this.#syncing = true;
    try {
      const counts = this.#local.inFlightCounts();
      const written = new Set<string>();
      const pairs: Array<string | number> = [];
      for (const [id, count] of counts) {
        pairs.push(id, count);
        written.add(id);
      }
      for (const id of this.#written) if (!written.has(id)) pairs.push(id, 0);
      const staleMs = Math.max(5_000, (this.#options.syncMs ?? 500) * 10);
      const [cooling, others] = await withDeadline(this.#redis.llmpassSync(this.#key('inflight'), this.#key('cooldowns'), this.#replica, staleMs, ...pairs), deadlineMs);
      this.#written = written;
      const now = Date.now();
      this.#sharedCooling.clear();
      for (let i = 0; i + 1 < cooling.length; i += 2) this.#sharedCooling.set(String(cooling[i]), now + Number(cooling[i + 1]));
      this.#othersInFlight.clear();
      for (let i = 0; i + 1 < others.length; i += 2) this.#othersInFlight.set(String(others[i]), Number(others[i + 1]));
      if (this.#degraded) await this.#restore();
    } catch (error) {
      this.#fellBack('sync', error);
    } finally {
      this.#syncing = false;
    }
  }

  /** Back to shared state: cooldowns this replica started while alone are shared first. */
  async #restore(): Promise<void> {
    const now = Date.now();
    const writes = this.#local.cooldowns(now).map(([id, until]) => this.#call(this.#redis.llmpassCoolDown(this.#key('cooldowns'), id, Math.max(1, until - now))));
    await Promise.all(writes);
    this.#fullUntil.clear();
    this.#degraded = undefined;
    this.#emit({ type: 'restored' });
  }

  #fellBack(operation: string, error: unknown): void {
    if (this.#closing) return;
    this.#emit({ type: 'fallback', operation });
    this.#degrade(`${operation}: ${(error as Error)?.message ?? String(error)}`);
  }

  #degrade(reason: string): void {
    if (this.#degraded || this.#closing) return;
    this.#degraded = { reason, since: new Date().toISOString() };
    // Other replicas' counts go stale from now on: route on this replica's own.
    this.#othersInFlight.clear();
    this.#emit({ type: 'degraded', reason });
  }

  #emit(event: StateEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
