/**
 * The request log's schema, one step per version, applied in order on open (simonw/llm's habit). Never edit a
 * released step: add one. Each step is [SQLite, PostgreSQL] where the dialects differ.
 */
export interface Migration {
  version: number;
  sqlite: string;
  postgres: string;
}

const columns = (dialect: 'sqlite' | 'postgres'): string => {
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const real = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const blob = dialect === 'sqlite' ? 'BLOB' : 'BYTEA';
  return `
  id TEXT PRIMARY KEY,
  started_at ${int} NOT NULL,
  face TEXT NOT NULL,
  alias TEXT,
  deployment TEXT,
  provider TEXT,
  model TEXT,
  method TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  status INTEGER,
  error_code TEXT,
  attempts INTEGER NOT NULL,
  duration_ms ${real} NOT NULL,
  ttfb_ms ${real},
  bytes_in ${int},
  bytes_out ${int},
  input_tokens ${int},
  output_tokens ${int},
  cache_read_tokens ${int},
  cache_write_tokens ${int},
  reasoning_tokens ${int},
  cost ${real},
  key_alias TEXT,
  replay_of TEXT,
  request_headers TEXT,
  request_body ${blob},
  request_body_truncated INTEGER NOT NULL DEFAULT 0,
  response_body ${blob},
  response_body_truncated INTEGER NOT NULL DEFAULT 0`;
};

const first = (dialect: 'sqlite' | 'postgres'): string => `
CREATE TABLE IF NOT EXISTS llmpass_requests (${columns(dialect)}
);
CREATE INDEX IF NOT EXISTS llmpass_requests_started_at ON llmpass_requests (started_at);
CREATE INDEX IF NOT EXISTS llmpass_requests_alias ON llmpass_requests (alias, started_at);
`;

/** Virtual keys (src/keys/): only a key's sha256 is stored; spend is booked on the row and reset per budget period. */
const keys = (dialect: 'sqlite' | 'postgres'): string => {
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const real = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  return `
CREATE TABLE IF NOT EXISTS llmpass_keys (
  token TEXT PRIMARY KEY,
  key_name TEXT NOT NULL,
  key_alias TEXT,
  team_id TEXT,
  models TEXT NOT NULL,
  allowed_routes TEXT NOT NULL,
  rpm_limit ${int},
  tpm_limit ${int},
  max_parallel_requests ${int},
  max_budget ${real},
  budget_duration TEXT,
  budget_reset_at ${int},
  expires ${int},
  metadata TEXT NOT NULL,
  blocked INTEGER NOT NULL DEFAULT 0,
  spend ${real} NOT NULL DEFAULT 0,
  input_tokens ${int} NOT NULL DEFAULT 0,
  output_tokens ${int} NOT NULL DEFAULT 0,
  calls ${int} NOT NULL DEFAULT 0,
  created_at ${int} NOT NULL,
  updated_at ${int} NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS llmpass_keys_alias ON llmpass_keys (key_alias);
CREATE INDEX IF NOT EXISTS llmpass_keys_team ON llmpass_keys (team_id);
`;
};

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, sqlite: first('sqlite'), postgres: first('postgres') },
  { version: 2, sqlite: keys('sqlite'), postgres: keys('postgres') },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** The table that records which version a store is at: one row. */
export const SCHEMA_TABLE = 'CREATE TABLE IF NOT EXISTS llmpass_schema (version INTEGER NOT NULL)';
