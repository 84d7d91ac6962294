import { hash, randomBytes } from 'node:crypto';

/** What a virtual key may do; LiteLLM's field names, so its key API's requests map one to one. */
export interface KeySettings {
  key_alias: string | null;
  /** Aliases (`*` wildcards allowed); empty means every alias. */
  models: string[];
  /** Route prefixes (`/openai`, a pass_through_endpoints path); empty means every route. */
  allowed_routes: string[];
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  /** USD per budget period (or for ever without `budget_duration`). */
  max_budget: number | null;
  budget_duration: string | null;
  /** Epoch ms; null never expires. */
  expires: number | null;
  metadata: Record<string, unknown>;
  /** A tag grouping spend (LiteLLM's `team_id`). */
  team_id: string | null;
  blocked: boolean;
}

/** What a key request may change: its settings, and its spend (LiteLLM lets an admin set it, e.g. back to 0). */
export type KeyChanges = Partial<KeySettings> & { spend?: number };

/** A stored key: its settings, its hash and what it spent. The key itself is never stored. */
export interface KeyRecord extends KeySettings {
  /** sha256 of the key, hex (LiteLLM's `token`). */
  token: string;
  /** The display form, `sk-...wxyz`. */
  key_name: string;
  /** USD in the current budget period. */
  spend: number;
  /** Epoch ms when spend goes back to 0; null without a budget period. */
  budget_reset_at: number | null;
  input_tokens: number;
  output_tokens: number;
  calls: number;
  created_at: number;
  updated_at: number;
}

export function hashKey(key: string): string {
  // One-shot: no Hash object per request (this runs on every call a virtual key makes).
  return hash('sha256', key, 'hex');
}

/** `sk-` and 32 random URL-safe characters (LiteLLM's keys start so, and scripts look for it). */
export function newKey(): string {
  return `sk-${randomBytes(24).toString('base64url')}`;
}

/** The only form of a key ever shown after creation: LiteLLM's `key_name`. */
export function displayKey(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

export function looksLikeVirtualKey(value: string): boolean {
  return value.startsWith('sk-') && value.length > 10;
}
