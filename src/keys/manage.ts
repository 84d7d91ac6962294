// Key management, shared by the proxy's LiteLLM-compatible API and `llmpass keys` on the local store.
import { LlmpassError, UsageError } from '../errors.ts';
import { parseDuration } from './duration.ts';
import { displayKey, hashKey, newKey, type KeyChanges, type KeyRecord } from './key.ts';
import { DEFAULT_SETTINGS } from './settings.ts';
import { currentSpend, type KeyStore } from './store.ts';

/** A key as LiteLLM's API shows it: its hash as `token`, never the key; times as ISO strings. */
export function keyView(record: KeyRecord, now = Date.now()): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    token: record.token,
    key_name: record.key_name,
    key_alias: record.key_alias,
    team_id: record.team_id,
    models: record.models,
    allowed_routes: record.allowed_routes,
    rpm_limit: record.rpm_limit,
    tpm_limit: record.tpm_limit,
    max_parallel_requests: record.max_parallel_requests,
    max_budget: record.max_budget,
    budget_duration: record.budget_duration,
    budget_reset_at: iso(record.budget_reset_at),
    expires: iso(record.expires),
    metadata: record.metadata,
    blocked: record.blocked,
    spend: currentSpend(record, now),
    input_tokens: record.input_tokens,
    output_tokens: record.output_tokens,
    calls: record.calls,
    created_at: iso(record.created_at),
    updated_at: iso(record.updated_at),
  };
}

async function uniqueAlias(store: KeyStore, alias: string | null | undefined, token?: string): Promise<void> {
  if (!alias) return;
  const holder = await store.getByAlias(alias);
  if (holder && holder.token !== token) throw new UsageError(`key_alias "${alias}" is taken by another key: pick another alias`);
}

/** Makes a key; the key itself is in the answer once and stored only as its hash. */
export async function generateKey(store: KeyStore, settings: KeyChanges, given?: string, now = Date.now()): Promise<{ key: string; record: KeyRecord }> {
  if (given !== undefined && (typeof given !== 'string' || !given.startsWith('sk-') || given.length < 20)) throw new UsageError('key: a chosen key must start with sk- and be at least 20 characters');
  await uniqueAlias(store, settings.key_alias);
  const key = given ?? newKey();
  const full = { ...DEFAULT_SETTINGS, ...settings };
  const record: KeyRecord = {
    ...full,
    token: hashKey(key),
    key_name: displayKey(key),
    spend: settings.spend ?? 0,
    budget_reset_at: full.budget_duration ? now + parseDuration(full.budget_duration, 'budget_duration') : null,
    input_tokens: 0,
    output_tokens: 0,
    calls: 0,
    created_at: now,
    updated_at: now,
  };
  if (await store.get(record.token)) throw new UsageError('key: that key exists already');
  await store.create(record);
  return { key, record };
}

/** A key named by itself (`sk-...`), its hash, or its alias (the CLI's way). */
export async function findKey(store: KeyStore, ref: string): Promise<KeyRecord | undefined> {
  if (ref.startsWith('sk-')) return store.get(hashKey(ref));
  if (/^[0-9a-f]{64}$/.test(ref)) return store.get(ref);
  return store.getByAlias(ref);
}

export async function updateKey(store: KeyStore, ref: string, settings: KeyChanges): Promise<KeyRecord> {
  const record = await findKey(store, ref);
  if (!record) throw new KeyNotFound(ref);
  await uniqueAlias(store, settings.key_alias, record.token);
  return (await store.update(record.token, settings))!;
}

/** Spend, tokens and calls of every key sharing the team tag. */
export async function teamTotals(store: KeyStore, team: string, now = Date.now()): Promise<{ team_id: string; keys: number; spend: number; input_tokens: number; output_tokens: number; calls: number }> {
  const members = (await store.list()).filter((record) => record.team_id === team);
  return {
    team_id: team,
    keys: members.length,
    spend: members.reduce((sum, r) => sum + currentSpend(r, now), 0),
    input_tokens: members.reduce((sum, r) => sum + r.input_tokens, 0),
    output_tokens: members.reduce((sum, r) => sum + r.output_tokens, 0),
    calls: members.reduce((sum, r) => sum + r.calls, 0),
  };
}

export class KeyNotFound extends LlmpassError {
  override readonly code = 'LLMPASS_KEY_NOT_FOUND';
  override readonly exitCode = 2;
  override readonly httpStatus = 404;
  constructor(ref: string) {
    // Never echo a key: only its display form.
    super(`no key ${ref.startsWith('sk-') ? displayKey(ref) : ref}: see llmpass keys list, or GET /key/list`);
  }
}
