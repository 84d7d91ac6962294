// The timer every benchmark module uses: hyperfine when it runs here, else the Node loop. BENCH_TIMER=node forces
// the fallback; BENCH_RUNS and BENCH_WARMUP set the counts.
import { hyperfineVersion, measureWithHyperfine } from './hyperfine.mjs';
import { measureWithNode } from './node-timer.mjs';

function count(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function createTimer() {
  const runs = Math.max(1, count('BENCH_RUNS', 30));
  const warmup = count('BENCH_WARMUP', 5);
  const forced = process.env.BENCH_TIMER === 'node';
  const version = forced ? undefined : hyperfineVersion();
  const name = version ?? `node loop (${forced ? 'BENCH_TIMER=node' : 'hyperfine not found'})`;
  return {
    label: `${name}, ${warmup} warm-up + ${runs} runs per command`,
    runs,
    warmup,
    /** commands: [{ name, argv }], run without a shell in `cwd`; resolves with one summary per command (ms). */
    measure(commands, { cwd }) {
      const opts = { warmup, runs, cwd };
      return version ? measureWithHyperfine(commands, opts) : measureWithNode(commands, opts);
    },
  };
}
