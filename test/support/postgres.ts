// A real PostgreSQL (Debian's package) for the tests: a throwaway cluster made with initdb in a temp dir, served on
// an ephemeral loopback port with its unix socket in the same dir, and removed afterwards. As root the cluster runs
// as the `postgres` user (the server refuses root). `stop()` is an immediate shutdown (an outage, like a crash);
// `start()` brings it back on the same port with the data kept.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { deadPort } from './cli.ts';

/** The server's binaries: PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export const PG_BIN = process.env.PG_BIN ?? newestInstalled();

function newestInstalled(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  return join(root, versions[0] ?? '15', 'bin');
}

export function postgresInstalled(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));
}

export const POSTGRES_MISSING = `PostgreSQL is not installed (${PG_BIN}/initdb): apt-get install postgresql (as .ci/run does), or set PG_BIN`;

export interface PostgresServer {
  port: number;
  /** A database of its own, created for the caller. */
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and removes the cluster. */
  remove(): Promise<void>;
}

const running = new Set<PostgresServer>();

/** As root, who runs the server: the `postgres` account's ids. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres user to run the server as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function run(user: { uid: number; gid: number } | undefined, command: string, args: string[]): string {
  try {
    return execFileSync(join(PG_BIN, command), args, { ...user, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${command} failed: ${stderr || stdout || (error as Error).message}`, { cause: error });
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  if (!postgresInstalled()) throw new Error(POSTGRES_MISSING);
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'llmpass-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const port = await deadPort();
  // Trust on loopback only, no fsync: a test cluster that needs no password and writes fast. Commits stay
  // synchronous: an acknowledged row must survive stop() (a killed server), as the outage tests check.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const server: PostgresServer = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/llmpass_test`,
    async start() {
      run(user, 'pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    },
    async stop() {
      if (!existsSync(join(data, 'postmaster.pid'))) return;
      run(user, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    async remove() {
      await server.stop();
      running.delete(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    run(user, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
    await server.start();
  } catch (error) {
    // (a half-made cluster is not left behind, nor a server that came up after pg_ctl gave up)
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  running.add(server);
  await runSql(`postgres://postgres@127.0.0.1:${port}/postgres`, 'CREATE DATABASE llmpass_test');
  return server;
}

/** Stops and removes every cluster started here (for afterAll). */
export async function removeAllPostgres(): Promise<void> {
  await Promise.all([...running].map((server) => server.remove()));
}

/** Runs one SQL statement against a database, as another program would. */
export async function runSql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export interface FilePostgres {
  /** A fresh, empty database for the caller: its URL. */
  database(prefix: string): Promise<string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared cluster (test/support/postgres-global.ts): a database URL on it, when PostgreSQL is installed. */
    sharedPostgres?: string;
  }
}

/**
 * PostgreSQL for a test file (when installed): a database of its own per call, on the run's shared cluster when the
 * config started one (vitest.config.ts's globalSetup), else on a cluster of this file's own, started before its tests
 * and removed after them. A file that stops the server (an outage) uses startPostgres() instead.
 */
export function usePostgres(): FilePostgres {
  let server: { url: string } | undefined;
  let own: PostgresServer | undefined;
  beforeAll(async () => {
    server = inject('sharedPostgres') ? { url: inject('sharedPostgres')! } : undefined;
    if (!server && postgresInstalled()) server = own = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await own?.remove();
  });
  return {
    async database(prefix) {
      if (!server) throw new Error(POSTGRES_MISSING);
      // Unique across the workers that share the cluster.
      const name = `${prefix}_${randomBytes(6).toString('hex')}`;
      await runSql(server.url, `CREATE DATABASE ${name}`);
      return server.url.replace(/\/llmpass_test$/, `/${name}`);
    },
  };
}
