// What the request-log tests of `call`, batches and replay share: a config with a priced and an unpriced alias,
// an environment whose XDG_STATE_HOME is the test's own, and the rows its default SQLite file holds.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openLogStore } from '../../src/accounting/log/open.ts';
import type { RequestRow } from '../../src/accounting/log/row.ts';
import { baseEnv } from './cli.ts';
import { tempConfig } from './tmp.ts';

export const CHAT = { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } };

/** A config with a priced alias `chat` (model_info rates: $1 and $2 per million), an unpriced `free`, and `general` settings. */
export function loggedConfig(base: string, general = ''): string {
  return tempConfig(`model_list:
  - model_name: chat
    litellm_params: { model: hosted_vllm/m, api_base: "${base}" }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
  - model_name: free
    litellm_params: { model: hosted_vllm/free, api_base: "${base}" }
${general}`);
}

/** The environment of a CLI run in `dir`, its request log under `dir/state`. */
export const loggedEnv = (dir: string, extra: Record<string, string> = {}) => baseEnv({ XDG_STATE_HOME: join(dir, 'state'), ...extra });

/** The rows in `dir`'s default log (pending ones folded in by the open), latest first; none when no call left any. */
export async function loggedRows(dir: string): Promise<RequestRow[]> {
  const path = join(dir, 'state', 'llmpass', 'logs.db');
  if (!existsSync(path) && !existsSync(`${path}-pending`)) return [];
  const store = await openLogStore(path);
  try {
    return await store.list({ limit: 100_000 });
  } finally {
    await store.close();
  }
}
