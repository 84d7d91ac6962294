import type { runInNewContext } from 'node:vm';

/**
 * Streamed bodies cross the process as fresh 64 KiB buffers, one per socket read. Their memory lives outside
 * the JS heap, which a stream barely fills, so V8 frees them only when their external size forces a full
 * collection: a 1 GiB upload through the proxy then peaks near 75 MiB of dead buffers above the idle RSS. A young
 * collection after every few MiB streamed frees them while they are still young and cheap to collect. (The
 * young generation's size cannot be set after start-up; `--max-semi-space-size` on the command line would do the
 * same but slows small requests down.)
 */
export function youngBufferCollector(everyBytes = 8 * 1024 * 1024): (bytes: number) => void {
  let collect: ((options: { type: 'minor' }) => void) | undefined;
  try {
    // `gc` exists only in contexts created while --expose-gc is set; the flag is dropped again at once.
    const v8 = process.getBuiltinModule('node:v8');
    const vm = process.getBuiltinModule('node:vm') as { runInNewContext: typeof runInNewContext };
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as typeof collect;
    v8.setFlagsFromString('--no-expose-gc');
  } catch {
    collect = undefined;
  }
  if (!collect) return () => undefined;
  const gc = collect;
  let streamed = 0;
  return (bytes) => {
    streamed += bytes;
    if (streamed < everyBytes) return;
    streamed = 0;
    gc({ type: 'minor' });
  };
}
