// The key store: one interface, one SQL body over two small database adapters (SQLite, PostgreSQL), in the request
// log's database and migrated with it (src/accounting/log/migrations.ts, version 2).
import type { KeyChanges, KeyRecord, KeySettings } from './key.ts';

export interface KeyStore {
  readonly kind: 'sqlite' | 'postgres';
  create(record: KeyRecord): Promise<void>;
  /** By hash (`token`). */
  get(token: string): Promise<KeyRecord | undefined>;
  getByAlias(alias: string): Promise<KeyRecord | undefined>;
  /** Newest first (as LiteLLM's /key/list). */
  list(): Promise<KeyRecord[]>;
  /** Changes some settings; a new budget_duration restarts the period. Undefined when no such key. */
  update(token: string, changes: KeyChanges, now?: number): Promise<KeyRecord | undefined>;
  /** Deletes keys by hash; returns the hashes that were there. */
  delete(tokens: readonly string[]): Promise<string[]>;
  /** Books one call: its cost (USD, null when unpriced) and tokens; spend starts again once the period is over. */
  bookSpend(token: string, cost: number | null, tokens: BookedTokens, now?: number): Promise<void>;
  close(): Promise<void>;
}

/** The calls the store needs from a database; `?` placeholders (PostgreSQL's adapter renumbers them). */
/** Tokens of the calls booked at once (`calls`, 1 by default). */
export interface BookedTokens {
  input?: number | undefined;
  output?: number | undefined;
  calls?: number | undefined;
}

export interface SqlAdapter {
  readonly kind: 'sqlite' | 'postgres';
  all(sql: string, values: readonly SqlValue[]): Promise<Array<Record<string, unknown>>>;
  run(sql: string, values: readonly SqlValue[]): Promise<number>;
  close(): Promise<void>;
}

export type SqlValue = string | number | null;

const SETTINGS = ['key_alias', 'team_id', 'models', 'allowed_routes', 'rpm_limit', 'tpm_limit', 'max_parallel_requests', 'max_budget', 'budget_duration', 'expires', 'metadata', 'blocked'] as const;
const COLUMNS = ['token', 'key_name', ...SETTINGS, 'budget_reset_at', 'spend', 'input_tokens', 'output_tokens', 'calls', 'created_at', 'updated_at'] as const;

function settingValue(record: Partial<KeySettings>, column: (typeof SETTINGS)[number]): SqlValue {
  const value = record[column];
  if (column === 'models' || column === 'allowed_routes' || column === 'metadata') return JSON.stringify(value);
  if (column === 'blocked') return value ? 1 : 0;
  return (value as SqlValue | undefined) ?? null;
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function recordFrom(row: Record<string, unknown>): KeyRecord {
  return {
    token: String(row.token),
    key_name: String(row.key_name),
    key_alias: (row.key_alias as string | null) ?? null,
    team_id: (row.team_id as string | null) ?? null,
    models: JSON.parse(String(row.models)) as string[],
    allowed_routes: JSON.parse(String(row.allowed_routes)) as string[],
    rpm_limit: num(row.rpm_limit),
    tpm_limit: num(row.tpm_limit),
    max_parallel_requests: num(row.max_parallel_requests),
    max_budget: num(row.max_budget),
    budget_duration: (row.budget_duration as string | null) ?? null,
    budget_reset_at: num(row.budget_reset_at),
    expires: num(row.expires),
    metadata: JSON.parse(String(row.metadata)) as Record<string, unknown>,
    blocked: Number(row.blocked) === 1,
    spend: Number(row.spend),
    input_tokens: Number(row.input_tokens),
    output_tokens: Number(row.output_tokens),
    calls: Number(row.calls),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

/** Spend as of `now`: 0 once the budget period is over (the row is reset on the next booking). */
export function currentSpend(record: Pick<KeyRecord, 'spend' | 'budget_reset_at'>, now = Date.now()): number {
  return record.budget_reset_at !== null && record.budget_reset_at <= now ? 0 : record.spend;
}

export class SqlKeyStore implements KeyStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly #db: SqlAdapter;
  readonly #periodOf: (duration: string) => number;

  constructor(db: SqlAdapter, periodOf: (duration: string) => number) {
    this.#db = db;
    this.kind = db.kind;
    this.#periodOf = periodOf;
  }

  async create(record: KeyRecord): Promise<void> {
    const values = COLUMNS.map((column): SqlValue => {
      if ((SETTINGS as readonly string[]).includes(column)) return settingValue(record, column as (typeof SETTINGS)[number]);
      return record[column as keyof KeyRecord] as SqlValue;
    });
    await this.#db.run(`INSERT INTO llmpass_keys (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`, values);
  }

  async get(token: string): Promise<KeyRecord | undefined> {
    const [row] = await this.#db.all('SELECT * FROM llmpass_keys WHERE token = ?', [token]);
    return row ? recordFrom(row) : undefined;
  }

  async getByAlias(alias: string): Promise<KeyRecord | undefined> {
    const [row] = await this.#db.all('SELECT * FROM llmpass_keys WHERE key_alias = ?', [alias]);
    return row ? recordFrom(row) : undefined;
  }

  async list(): Promise<KeyRecord[]> {
    return (await this.#db.all('SELECT * FROM llmpass_keys ORDER BY created_at DESC, token DESC', [])).map(recordFrom);
  }

  async update(token: string, changes: KeyChanges, now = Date.now()): Promise<KeyRecord | undefined> {
    const sets: string[] = [];
    const values: SqlValue[] = [];
    for (const column of SETTINGS) {
      if (changes[column] === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(settingValue(changes, column));
    }
    if (changes.spend !== undefined) {
      sets.push('spend = ?');
      values.push(changes.spend);
    }
    if (changes.budget_duration !== undefined) {
      sets.push('budget_reset_at = ?');
      values.push(changes.budget_duration === null ? null : now + this.#periodOf(changes.budget_duration));
    }
    sets.push('updated_at = ?');
    values.push(now, token);
    const changed = await this.#db.run(`UPDATE llmpass_keys SET ${sets.join(', ')} WHERE token = ?`, values);
    return changed ? this.get(token) : undefined;
  }

  async delete(tokens: readonly string[]): Promise<string[]> {
    const deleted: string[] = [];
    for (const token of tokens) if (await this.#db.run('DELETE FROM llmpass_keys WHERE token = ?', [token])) deleted.push(token);
    return deleted;
  }

  async bookSpend(token: string, cost: number | null, tokens: BookedTokens, now = Date.now()): Promise<void> {
    const [row] = await this.#db.all('SELECT budget_duration FROM llmpass_keys WHERE token = ?', [token]);
    if (!row) return;
    const duration = (row.budget_duration as string | null) ?? null;
    const next = duration === null ? null : now + this.#periodOf(duration);
    // One statement, so replicas booking at once never lose a call: an ended period starts again with this call.
    await this.#db.run(
      `UPDATE llmpass_keys SET
         spend = CASE WHEN budget_reset_at IS NOT NULL AND budget_reset_at <= ? THEN ? ELSE spend + ? END,
         budget_reset_at = CASE WHEN budget_reset_at IS NOT NULL AND budget_reset_at <= ? THEN ? ELSE budget_reset_at END,
         input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, calls = calls + ?
       WHERE token = ?`,
      [now, cost ?? 0, cost ?? 0, now, next, tokens.input ?? 0, tokens.output ?? 0, tokens.calls ?? 1, token],
    );
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
