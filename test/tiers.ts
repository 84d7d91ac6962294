// The heavy tier: suites that hold much memory, many sockets or many processes, or spend long on real time.
// `npm test` runs everything else; `npm run test:heavy` runs these, one file at a time (vitest.heavy.config.ts).
export const HEAVY = [
  'test/batch/memory.test.ts', // 10,000-line batches, peak RSS measured
  'test/accounting/batch-log.test.ts', // a 10,000-line batch logged row by row
  'test/accounting/proxy-postgres.test.ts', // two proxies and a killed PostgreSQL under load, rows counted
  'test/package/consumer.test.ts', // npm pack, then a fresh install of the tarball
  'test/e2e/first-build.test.ts', // whole builds (esbuild, tsc, oclif manifest): a fresh checkout's, and --reuse-types'
  'test/e2e/call-large-uploads.test.ts', // a 50 MiB upload, the CLI's peak RSS
  'test/hardening/concurrency.test.ts', // 1,000 concurrent SSE streams
  'test/hardening/proxy-client-faults.test.ts', // slow readers and slowloris clients, held for their timeouts
  'test/hardening/proxy-storms.test.ts', // 300 clients of a slow and of a hanging upstream
  'test/redis/replicas.test.ts', // two proxy replicas and a redis-server
  'test/redis/outage.test.ts', // a redis-server stopped and restarted under two replicas
  'test/keys/replicas.test.ts', // two proxy replicas, PostgreSQL and a redis-server
];
