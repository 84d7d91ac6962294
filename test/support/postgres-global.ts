// vitest.config.ts's globalSetup: one PostgreSQL cluster for the whole default tier, instead of an initdb and a start
// per file (seconds of CPU each under load). Files take databases of their own on it through usePostgres(). Without
// PostgreSQL it does nothing and those tests skip, as they do alone. The cluster is removed when the run ends,
// whatever its outcome (vitest runs the teardown after failures too).
import type { TestProject } from 'vitest/node';
import { postgresInstalled, startPostgres } from './postgres.ts';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!postgresInstalled()) return undefined;
  // A cluster that fails to start fails no other test: each PostgreSQL file then tries one of its own, and says why.
  const server = await startPostgres().catch((error: unknown) => console.warn(`no shared PostgreSQL for this run: ${(error as Error).message}`));
  if (!server) return undefined;
  project.provide('sharedPostgres', server.url);
  return () => server.remove();
}
