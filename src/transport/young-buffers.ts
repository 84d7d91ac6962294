type Collect = (options: { type: 'minor' }) => void;

/**
 * Streamed bodies cross the process as fresh 64 KiB buffers, one per socket read. Their memory lives outside
 * the JS heap, which a stream barely fills, so V8 frees them only when their external size forces a full
 * collection: a 1 GiB upload through the proxy then peaks ~75 MiB of dead buffers above the idle RSS. A young
 * collection after every few MiB streamed frees them while they are still young and cheap to collect.
 *
 * It needs `gc`, which Node exposes with --expose-gc (`llmpass proxy` starts itself with it, see
 * cli/proxy/expose-gc.ts); without it this does nothing. (A `gc` taken from a new vm context would do, but a second
 * context in the process costs every request ~0.25 ms of latency on a cold path, measured.)
 */
export function youngBufferCollector(everyBytes = 8 * 1024 * 1024): (bytes: number) => void {
  const gc = (globalThis as { gc?: Collect }).gc;
  if (typeof gc !== 'function') return () => undefined;
  let streamed = 0;
  return (bytes) => {
    streamed += bytes;
    if (streamed < everyBytes) return;
    streamed = 0;
    gc({ type: 'minor' });
  };
}
