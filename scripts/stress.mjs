// `npm run test:stress`: both test tiers with a CPU-bound process beside them (a busy loop on one core), to prove the
// suite steady under load. Exits with the first failing tier's code.
import { spawn, spawnSync } from 'node:child_process';

const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
let code = 0;
try {
  for (const tier of [['run', 'test', '--silent'], ['run', 'test:heavy', '--silent']]) {
    console.log(`test:stress: npm ${tier.join(' ')}, with a busy loop beside it (pid ${hog.pid})`);
    const started = performance.now();
    const run = spawnSync('npm', tier, { stdio: ['ignore', 'inherit', 'inherit'] });
    console.log(`test:stress: npm ${tier[1]} exited ${run.status} after ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (run.status !== 0) {
      code = run.status ?? 1;
      break;
    }
  }
} finally {
  hog.kill('SIGKILL');
}
process.exitCode = code;
