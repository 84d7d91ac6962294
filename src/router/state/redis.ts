// Routing state shared by replicas through one Redis: cooldowns and in-flight counts synced, rpm slots taken by
// a script (leased ahead of need while a window has room), tpm tokens flushed in batches, and an in-memory
// fallback while Redis is away. One class (~430 lines): the connection, the fallback and the leases share the
// degraded/shared state every operation checks, and splitting them would pass that state around on every call.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { withDeadline } from './deadline.ts';
import { MemoryState } from './memory.ts';
import { ACQUIRE, ADD_TOKENS, COOL_DOWN, GIVE_BACK, SYNC } from './redis-scripts.ts';
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
/** How long slots leased ahead of need may be used; a new lease is asked for when half of one is left. */
const LEASE_MS = 50;
const MAX_LEASE = 1024;

/** [slots taken, slots leased] or, when not all asked for were taken, [taken, 0, ms until room, 'rpm' | 'tpm']. */
type AcquireReply = [number, number, number?, string?];

/** Slots taken in Redis ahead of need: the calls of the next LEASE_MS take them without a round trip. */
interface Lease {
  /** The rpm window holding the lease's slots (none for a deployment with tpm only). */
  window: string | undefined;
  /** Its member in that window is `${prefix}:${slots held}`. */
  prefix: string;
  total: number;
  used: number;
  /** Local time the lease ends (sent before Redis started it, so never later than Redis's end). */
  until: number;
}

/** A deployment's leases and what sizes the next one. */
interface Leasing {
  leases: Lease[];
  limits: DeploymentLimits;
  /** Calls since the last ask and when that was: the rate the next lease covers. */
  calls: number;
  askedAt: number;
  refilling: boolean;
}
type SyncReply = [Array<string | number>, Array<string | number>];

/** The scripts as commands: ioredis sends EVALSHA, and the script itself on a new connection (a restarted Redis). */
interface ScriptCommands {
  llmpassAcquire(rpmKey: string, tpmKey: string, rpm: number, tpm: number, windowMs: number, bucketMs: number, member: string, count: number, extra: number, leaseMs: number): Promise<AcquireReply>;
  llmpassGiveBack(rpmKey: string, member: string, usedMember: string, unused: number): Promise<number>;
  llmpassAddTokens(tpmKey: string, tokens: number, windowMs: number, bucketMs: number): Promise<number>;
  llmpassCoolDown(cooldownsKey: string, id: string, ms: number): Promise<number>;
  llmpassSync(inFlightKey: string, cooldownsKey: string, replica: string, staleMs: number, ...counts: Array<string | number>): Promise<SyncReply>;
}

/**
 * The Router's state shared by replicas through Redis, over a MemoryState that is always kept current: when
 * Redis is unreachable or slow, calls are served from it (the same limits, per replica), and shared state
 * resumes when Redis answers again. A call to a deployment with rpm/tpm takes a slot this replica leased ahead of
 * need while the window has plenty of room; otherwise it waits for one script call, shared by the calls started in
 * the same turn of the event loop (none while its window is known to be full); tokens go
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
  readonly #leasing = new Map<string, Leasing>();
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
    this.#redis.defineCommand('llmpassGiveBack', { numberOfKeys: 1, lua: GIVE_BACK });
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
    const leasing = this.#leasingFor(id, limits);
    leasing.calls += 1;
    const lease = this.#lease(leasing, now);
    if (lease) {
      lease.used += 1;
      if (!leasing.refilling && (lease.total - lease.used) * 2 <= lease.total && leasing.leases.length === 1) void this.#refill(id, leasing);
      if (limits.rpm !== undefined) this.#local.recordRequest(id, limits.rpm, now);
      return this.#local.started(id);
    }
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

  #leasingFor(id: string, limits: DeploymentLimits): Leasing {
    let leasing = this.#leasing.get(id);
    if (!leasing) this.#leasing.set(id, (leasing = { leases: [], limits, calls: 0, askedAt: 0, refilling: false }));
    leasing.limits = limits;
    return leasing;
  }

  /** The lease with a slot to use now; spent or ended ones are dropped (their unused slots given back). */
  #lease(leasing: Leasing, now: number): Lease | undefined {
    const leases = leasing.leases;
    while (leases.length) {
      const lease = leases[0]!;
      if (lease.used < lease.total && now < lease.until) return lease;
      leases.shift();
      this.#giveBack(lease);
    }
    return undefined;
  }

  #endLease(leasing: Leasing, lease: Lease): void {
    const index = leasing.leases.indexOf(lease);
    if (index >= 0) leasing.leases.splice(index, 1);
    this.#giveBack(lease);
  }

  /** Asks for the next lease while half of the current one is left, so that calls never wait for it. */
  async #refill(id: string, leasing: Leasing): Promise<void> {
    leasing.refilling = true;
    try {
      await this.#takeSlots(id, leasing.limits, []);
    } finally {
      leasing.refilling = false;
    }
  }

  /**
   * One script call for a deployment's waiting calls: the first `taken` go ahead, the others are refused; with
   * the slots Redis leases on top (as many as this replica used in the last LEASE_MS, about).
   */
  async #takeSlots(id: string, limits: DeploymentLimits, waiters: Array<(result: SlotResult) => void>): Promise<void> {
    const { windowMs } = this.#options;
    const leasing = this.#leasingFor(id, limits);
    const asked = Date.now();
    // No lease on the first ask (no rate known yet): a single call asks for its own slot only.
    const wished = leasing.askedAt === 0 ? 0 : Math.min(MAX_LEASE, Math.ceil((leasing.calls * LEASE_MS) / Math.max(10, asked - leasing.askedAt)));
    leasing.calls = 0;
    leasing.askedAt = asked;
    const prefix = `${this.#replica}:${(this.#sequence += 1)}`;
    let reply: AcquireReply;
    try {
      reply = await this.#call(
        this.#redis.llmpassAcquire(
          this.#key('slots', id),
          this.#key('tpm', id),
          limits.rpm ?? 0,
          limits.tpm ?? 0,
          windowMs,
          bucketWidth(windowMs),
          prefix,
          waiters.length,
          wished,
          LEASE_MS,
        ),
      );
    } catch (error) {
      this.#fellBack('acquire', error);
      for (const resolve of waiters) resolve(this.#local.acquire(id, limits));
      return;
    }
    const taken = Number(reply[0]);
    const leased = Number(reply[1]);
    if (leased > 0) {
      const lease: Lease = { window: limits.rpm === undefined ? undefined : this.#key('slots', id), prefix: `${prefix}:lease`, total: leased, used: 0, until: asked + LEASE_MS };
      leasing.leases.push(lease);
      // Unused slots go back as the lease ends, so that other replicas can take them at once.
      setTimeout(() => this.#endLease(leasing, lease), Math.max(0, lease.until - Date.now())).unref();
    }
    const refusal: SlotResult = { ok: false, limit: reply[3] === 'tpm' ? 'tpm' : 'rpm', retryAfterMs: Number(reply[2]) };
    if (reply[3] !== undefined) {
      this.#fullUntil.set(id, { until: Date.now() + refusal.retryAfterMs, limit: refusal.limit });
      // Full in Redis (other replicas' tokens, say): this replica's leases end with it.
      for (const lease of leasing.leases.splice(0)) this.#giveBack(lease);
    }
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
    if (this.#shared()) {
      for (const leasing of this.#leasing.values()) for (const lease of leasing.leases.splice(0)) this.#giveBack(lease);
      await this.#flushTokens();
    }
    this.#closing = true;
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  /** Removes a lease's unused slots from the rpm window, ending the lease; a failure leaves them to expire. */
  #giveBack(lease: Lease): void {
    const unused = lease.total - lease.used;
    lease.used = lease.total;
    if (unused <= 0 || lease.window === undefined || !this.#shared()) return;
    const used = lease.total - unused;
    const usedMember = used > 0 ? `${lease.prefix}:${used}` : '';
    this.#call(this.#redis.llmpassGiveBack(lease.window, `${lease.prefix}:${lease.total}`, usedMember, unused)).catch(() => undefined);
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
