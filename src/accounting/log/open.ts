// Which request log a process uses, and opening it: PostgreSQL for a postgres:// URL, else an SQLite file.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LogStore } from './store.ts';

export interface LogTargetSources {
  /** `--db` (a URL or a path), the strongest. */
  flag?: string | undefined;
  /** The config's setting, when it has one. */
  configured?: string | undefined;
  env: NodeJS.ProcessEnv;
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** `$XDG_STATE_HOME/llmpass/logs.db`, i.e. `~/.local/state/llmpass/logs.db` by default. */
export function defaultLogPath(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'llmpass', 'logs.db');
}

/** `--db`, else the config's setting, else DATABASE_URL when it names PostgreSQL (LiteLLM's variable), else the default file. */
export function logTarget({ flag, configured, env }: LogTargetSources): string {
  if (flag) return flag;
  if (configured) return configured;
  if (env.DATABASE_URL && isPostgresUrl(env.DATABASE_URL)) return env.DATABASE_URL;
  return defaultLogPath(env);
}

/**
 * Opens (and migrates) the store a target names; the PostgreSQL driver is imported only for a postgres URL.
 * `thread`: an SQLite file is written from a thread of its own (a long-lived process that must not stall on it).
 */
export async function openLogStore(target: string, { thread = false } = {}): Promise<LogStore> {
  if (isPostgresUrl(target)) return (await import('./postgres-store.ts')).openPostgresStore(target);
  if (thread) return (await import('./sqlite-thread.ts')).openSqliteThreadStore(target);
  return (await import('./sqlite-store.ts')).openSqliteStore(target);
}
