// The Router's state for one process: the same limits, cooldowns and counts the Redis state shares.
import { describe, expect, it } from 'vitest';
import { MemoryState } from '../../../src/router/state/memory.ts';
import type { SlotResult } from '../../../src/router/state/types.ts';

const settings = { allowedFails: 2, cooldownMs: 1_000, windowMs: 60_000 };
// On a bucket boundary (buckets are 6 s for a 60 s window).
const T0 = 1_800_000_000_000;

function take(state: MemoryState, limits: { rpm?: number; tpm?: number }, now: number): SlotResult {
  return state.acquire('d#0', limits, now);
}

describe('MemoryState', () => {
  it('cools a deployment down after allowed_fails failures in a row, and only when it is not the only one', () => {
    const state = new MemoryState(settings);
    expect(state.failed('a', false, T0)).toBe(false);
    expect(state.failed('a', false, T0)).toBe(false);
    expect(state.isCooling('a', T0)).toBe(false);
    state.succeeded('a');
    expect(state.failed('a', true, T0)).toBe(false);
    expect(state.failed('a', true, T0)).toBe(true);
    expect(state.isCooling('a', T0 + 999)).toBe(true);
    expect(state.isCooling('a', T0 + 1_000)).toBe(false);
  });

  it('lets at most rpm calls start in any window, and says when the oldest leaves it', () => {
    const state = new MemoryState(settings);
    for (let i = 0; i < 3; i++) expect(take(state, { rpm: 3 }, T0 + i * 1_000).ok).toBe(true);
    const refused = take(state, { rpm: 3 }, T0 + 10_000);
    expect(refused).toEqual({ ok: false, limit: 'rpm', retryAfterMs: 50_000 });
    // The window slides: the first call leaves it at T0 + 60 s, and only one slot frees then.
    expect(take(state, { rpm: 3 }, T0 + 60_000).ok).toBe(true);
    expect(take(state, { rpm: 3 }, T0 + 60_001).ok).toBe(false);
    expect(take(state, { rpm: 3 }, T0 + 61_000).ok).toBe(true);
  });

  it('refuses while the tokens reported in the window reach tpm', () => {
    const state = new MemoryState(settings);
    expect(take(state, { tpm: 100 }, T0).ok).toBe(true);
    state.recordTokens('d#0', 60, T0);
    expect(take(state, { tpm: 100 }, T0 + 1).ok).toBe(true);
    state.recordTokens('d#0', 40, T0 + 1);
    const refused = take(state, { tpm: 100 }, T0 + 2);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.limit).toBe('tpm');
    // Buckets are a tenth of the window: the tokens count until their bucket's end leaves the window.
    expect(!refused.ok && refused.retryAfterMs).toBe(66_000 - 2);
    expect(take(state, { tpm: 100 }, T0 + 66_000).ok).toBe(true);
  });

  it('counts calls in flight until each is released (once, however often release is called)', () => {
    const state = new MemoryState(settings);
    const first = state.acquire('a', undefined);
    const second = state.acquire('a', { rpm: 10 });
    expect(state.inFlight('a')).toBe(2);
    if (!first.ok || !second.ok) throw new Error('expected slots');
    first.release();
    first.release();
    expect(state.inFlight('a')).toBe(1);
    second.release();
    expect(state.inFlight('a')).toBe(0);
  });

  it('a refused call is not counted in flight and takes no slot', () => {
    const state = new MemoryState(settings);
    take(state, { rpm: 1 }, T0);
    expect(take(state, { rpm: 1 }, T0 + 1).ok).toBe(false);
    expect(state.inFlight('d#0')).toBe(1);
    expect(take(state, { rpm: 1 }, T0 + 60_000).ok).toBe(true);
  });

  it('slots taken in Redis and mirrored here count in the local window, should this replica have to go it alone', () => {
    const state = new MemoryState(settings);
    for (let i = 0; i < 5; i++) state.recordRequest('d#0', 3, T0 + i * 1_000);
    // Only the latest three matter: the window frees when the third latest (T0 + 2 s) leaves it.
    expect(take(state, { rpm: 3 }, T0 + 5_000)).toEqual({ ok: false, limit: 'rpm', retryAfterMs: 57_000 });
    expect(take(state, { rpm: 3 }, T0 + 62_000).ok).toBe(true);
  });

  it('limits are per deployment', () => {
    const state = new MemoryState(settings);
    expect(state.acquire('a', { rpm: 1 }, T0).ok).toBe(true);
    expect(state.acquire('b', { rpm: 1 }, T0).ok).toBe(true);
    expect(state.acquire('a', { rpm: 1 }, T0).ok).toBe(false);
  });
});
