// The fallback timer when hyperfine is not installed: each command's warm-up runs, then its timed runs, one
// process at a time (as hyperfine orders them), wall time from spawn to exit, output through a drained pipe.
import { execOk } from './proc.mjs';
import { summarize } from './stats.mjs';

export async function measureWithNode(commands, { warmup, runs, cwd }) {
  const results = [];
  for (const { name, argv } of commands) {
    for (let i = 0; i < warmup; i++) await execOk(argv, { cwd, collect: false });
    const times = [];
    for (let i = 0; i < runs; i++) times.push((await execOk(argv, { cwd, collect: false })).ms);
    results.push(summarize(name, times));
  }
  return results;
}
