// `npm run test:stress`: both test tiers, three rounds in a row, with a CPU-bound process beside them (a busy loop
// on one core), to prove the suite steady under load. Stops at the first failing tier and exits with its code.
// `npm run test:stress -- 1` runs one round. The CLI is built once (by the npm script), not before each tier.
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

const rounds = Number(process.argv[2] ?? 3);
const tiers = [
  ['default', ['vitest', 'run']],
  ['heavy', ['vitest', 'run', '--config', 'vitest.heavy.config.ts']],
];
const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
let code = 0;
try {
  run: for (let round = 1; round <= rounds; round++) {
    for (const [name, args] of tiers) {
      console.log(`test:stress: round ${round}/${rounds}, ${name} tier, a busy loop beside it (pid ${hog.pid}); load ${load()}`);
      const started = performance.now();
      const tier = spawnSync('npx', args, { stdio: ['ignore', 'inherit', 'inherit'] });
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      console.log(`test:stress: round ${round}/${rounds}, ${name} tier exited ${tier.status} after ${seconds} s; load ${load()}`);
      if (tier.status !== 0) {
        code = tier.status ?? 1;
        break run;
      }
    }
  }
} finally {
  hog.kill('SIGKILL');
}
if (code === 0) console.log(`test:stress: both tiers passed ${rounds} time(s) in a row beside a busy loop`);
process.exitCode = code;
