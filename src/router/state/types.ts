/**
 * What the Router needs to remember between calls: failures and cooldowns, rate-limit windows and requests in
 * flight. In memory for one process (memory.ts), or shared by every replica through Redis (redis.ts).
 */

import type { DeploymentLimits } from '../../core/deployment.ts';

/** A call may go ahead: `release` ends its in-flight count (idempotent). */
export interface Slot {
  ok: true;
  release: () => void;
}

/** The deployment's window is full: `retryAfterMs` until it has room again. */
export interface Refusal {
  ok: false;
  limit: 'rpm' | 'tpm';
  retryAfterMs: number;
}

export type SlotResult = Slot | Refusal;

/** For /health/readiness: where the state lives and whether it is shared right now. No secret in it. */
export interface StateReport {
  backend: 'memory' | 'redis';
  /** True while replicas share cooldowns, windows and counts (always false in memory). */
  shared: boolean;
  /** `redis://host:port` (password masked) when Redis is configured. */
  redis?: string;
  /** Why this replica routes on its own state now, and since when (ISO time). */
  degraded?: { reason: string; since: string };
}

export type StateEvent =
  /** Redis became unusable: this replica routes on its own state from now on (once per episode). */
  | { type: 'degraded'; reason: string }
  /** Redis answers again: state is shared again. */
  | { type: 'restored' }
  /** One Redis call failed or timed out and was served locally instead. */
  | { type: 'fallback'; operation: string };

export interface RouterState {
  /** Whether calls should skip the deployment now; answered from memory (a cache of the shared view). */
  isCooling(id: string): boolean;
  /** Counts a failure; cools the deployment down after `allowed_fails` in a row unless it is the only one. */
  failed(id: string, canCool: boolean): boolean;
  succeeded(id: string): void;
  /** Requests in flight on the deployment, other replicas' included where shared (theirs lag a moment). */
  inFlight(id: string): number;
  /** Takes a slot in the deployment's rpm window (the tpm window must have room) and counts it in flight. */
  acquire(id: string, limits: DeploymentLimits | undefined): SlotResult | Promise<SlotResult>;
  /** Adds the tokens an answer reported to the deployment's tpm window. */
  recordTokens(id: string, tokens: number): void;
  report(): StateReport;
  /** Listens to degradation and fallbacks (the proxy logs and counts them); returns the unsubscribe. */
  subscribe(listener: (event: StateEvent) => void): () => void;
  close(): Promise<void>;
}

/** The Router's settings the state applies. */
export interface StateSettings {
  /** Failures in a row before a cooldown (`allowed_fails`). */
  allowedFails: number;
  cooldownMs: number;
  /** The length of the rpm and tpm windows: a minute, shorter in tests. */
  windowMs: number;
}

export function hasLimits(limits: DeploymentLimits | undefined): limits is DeploymentLimits {
  return limits !== undefined && (limits.rpm !== undefined || limits.tpm !== undefined);
}
