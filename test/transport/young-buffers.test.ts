import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { youngBufferCollector } from '../../src/transport/young-buffers.ts';

function minorCollections(run: () => void): Promise<number> {
  return new Promise((resolve) => {
    const seen: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
    observer.observe({ entryTypes: ['gc'] });
    run();
    // gc entries are delivered asynchronously.
    setTimeout(() => {
      observer.disconnect();
      resolve(seen.filter((entry) => ((entry as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR).length);
    }, 50);
  });
}

describe('youngBufferCollector', () => {
  it('runs a young collection each time the given number of bytes has streamed', async () => {
    const streamed = youngBufferCollector(1024 * 1024);
    const collections = await minorCollections(() => {
      streamed(1024 * 1024 - 1);
      streamed(1);
      streamed(1024 * 1024);
    });
    expect(collections).toBeGreaterThanOrEqual(2);
  });

  it('leaves `gc` unexposed to the program', () => {
    youngBufferCollector();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
