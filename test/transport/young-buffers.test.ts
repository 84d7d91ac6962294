import { afterEach, describe, expect, it } from 'vitest';
import { youngBufferCollector } from '../../src/transport/young-buffers.ts';

const holder = globalThis as { gc?: unknown };
const original = holder.gc;
afterEach(() => {
  holder.gc = original;
});

describe('youngBufferCollector', () => {
  it('asks for a young collection each time the given number of bytes has streamed', () => {
    const calls: unknown[] = [];
    holder.gc = (options: unknown) => calls.push(options);
    const streamed = youngBufferCollector(1024 * 1024);
    streamed(1024 * 1024 - 1);
    expect(calls).toEqual([]);
    streamed(1);
    streamed(1024 * 1024);
    expect(calls).toEqual([{ type: 'minor' }, { type: 'minor' }]);
  });

  it('does nothing where Node exposes no gc', () => {
    holder.gc = undefined;
    expect(() => youngBufferCollector(1)(10)).not.toThrow();
  });
});
