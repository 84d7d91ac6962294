import { defineConfig } from 'vitest/config';
import { HEAVY } from './test/tiers.ts';

// The default tier (`npm test`): every test file but the heavy ones (test/tiers.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...HEAVY],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Spawned CLIs and loopback servers: two cores, so keep the parallelism modest.
    maxWorkers: 2,
  },
});
