import { defineConfig } from 'vitest/config';
import { HEAVY } from './test/tiers.ts';

// The default tier (`npm test`): every test file but the heavy ones (test/tiers.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...HEAVY],
    // Safety nets for a hang, not deadlines: a loaded machine (test:stress, other jobs) slows a file severalfold.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Four workers on two cores: several files spend much of their time waiting on timeouts, hung upstreams and
    // spawned CLIs rather than on CPU, so more workers keep the cores busy. Quiet machine, one run each: 97.5 s with
    // 3, 86.5 s with 4 (vitest's Duration); the suite's CPU (~170 s over 2 cores) is the floor near 85 s.
    maxWorkers: 4,
    // One worker runs many files: a fresh process and module graph per file cost ~0.2 s of CPU each, over 100 files.
    // So a file that changes process-wide state (a registered provider, fake timers, process.env) puts it back itself.
    isolate: false,
    // One PostgreSQL cluster for the run (a database per file on it), not an initdb and a start per file.
    globalSetup: ['test/support/postgres-global.ts'],
  },
});
