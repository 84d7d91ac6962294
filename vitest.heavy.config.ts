import { defineConfig } from 'vitest/config';
import { HEAVY } from './test/tiers.ts';

// The heavy tier (`npm run test:heavy`): one file at a time, so each has the machine to itself.
export default defineConfig({
  test: {
    include: HEAVY,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
