import { afterEach, describe, expect, it, vi } from 'vitest';
import { sharedProbe } from '../../src/proxy/shared-probe.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('sharedProbe', () => {
  it('shares a run in flight, reuses its result for the window, then runs afresh; a failed run is reused too', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    let runs = 0;
    let release!: () => void;
    const probe = sharedProbe(() => {
      runs++;
      return new Promise<number>((resolve) => (release = () => resolve(runs)));
    }, 5_000);
    const waiting = [probe(), probe(), probe()];
    release();
    expect(await Promise.all(waiting)).toEqual([1, 1, 1]);
    vi.advanceTimersByTime(4_999);
    expect(await probe()).toBe(1);
    vi.advanceTimersByTime(2);
    const next = probe();
    release();
    expect(await next).toBe(2);
    expect(runs).toBe(2);

    const failing = sharedProbe(() => {
      runs++;
      return Promise.reject(new Error('down'));
    }, 5_000);
    await expect(failing()).rejects.toThrow('down');
    await expect(failing()).rejects.toThrow('down');
    expect(runs).toBe(3);
  });
});
