import * as Flags from '@oclif/core/flags';

/** Where keys live: the local store (the request log's database) or a running proxy. */
export const keyTargetFlags = {
  db: Flags.string({ description: 'the store: a postgres:// URL or an SQLite file [default: DATABASE_URL if postgres, else ~/.local/state/llmpass/logs.db]' }),
  proxy: Flags.string({ description: 'manage the keys of a running proxy at this URL (master key from LLMPASS_MASTER_KEY)' }),
  debug: Flags.boolean({ description: 'show stack traces for errors' }),
};

/** A key's settings, as LiteLLM's key API names them in brackets. */
export const keySettingFlags = {
  alias: Flags.string({ description: 'a name for the key (key_alias)' }),
  models: Flags.string({ description: 'aliases it may call, comma-separated, * wildcards allowed (models) [default: all]' }),
  routes: Flags.string({ description: 'route prefixes it may call, comma-separated, e.g. /vllm,/custom (allowed_routes) [default: all]' }),
  budget: Flags.string({ description: 'USD it may spend (max_budget)' }),
  'budget-duration': Flags.string({ description: 'how often spend starts again: 30s, 1h, 30d (budget_duration)' }),
  rpm: Flags.integer({ description: 'requests per minute (rpm_limit)', min: 0 }),
  tpm: Flags.integer({ description: 'tokens per minute (tpm_limit)', min: 0 }),
  parallel: Flags.integer({ description: 'requests at once (max_parallel_requests)', min: 0 }),
  expires: Flags.string({ description: 'how long it works: 1h, 90d (duration) [default: for ever]' }),
  team: Flags.string({ description: 'a tag grouping its spend with other keys (team_id)' }),
  metadata: Flags.string({ description: 'JSON object kept with the key' }),
};
