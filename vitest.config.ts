import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Spawned CLIs and loopback servers: two cores, so keep the parallelism modest.
    maxWorkers: 2,
  },
});
