// A 10,000-line `--jsonl` batch records 10,000 rows in the request log (heavy tier: 10,000 calls).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLogStore } from '../../src/accounting/log/open.ts';
import type { RequestRow } from '../../src/accounting/log/row.ts';
import { status } from '../fixtures/fake-upstream.ts';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';
import { fakeUpstreams } from '../support/upstreams.ts';

assertBuilt();
afterAll(cleanupTemp);

const CHAT = { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } };
const upstream = fakeUpstreams(() => status(200, CHAT));

/** A config with a priced alias (model_info rates), an unpriced one, and `extra` general settings. */
function config(base: string, general = ''): string {
  return tempConfig(`model_list:
  - model_name: chat
    litellm_params: { model: hosted_vllm/m, api_base: "${base}" }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
  - model_name: free
    litellm_params: { model: hosted_vllm/free, api_base: "${base}" }
${general}`);
}

async function rows(dir: string): Promise<RequestRow[]> {
  const path = join(dir, 'state', 'llmpass', 'logs.db');
  if (!existsSync(path)) return [];
  const store = await openLogStore(path);
  try {
    return await store.list({ limit: 100_000 });
  } finally {
    await store.close();
  }
}

const env = (dir: string, extra: Record<string, string> = {}) => baseEnv({ XDG_STATE_HOME: join(dir, 'state'), ...extra });

describe('--jsonl batches log one row per line', () => {
  it('10,000 lines, 10,000 rows; the summary has the tokens and cost in total', { timeout: 120_000 }, async () => {
    const { url } = await upstream();
    const dir = config(url);
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `line ${i}` }] })).join('\n');
    const result = await call(dir, ['chat', 'v1/chat/completions', '--jsonl', '--concurrency', '32'], { env: env(dir), input: `${lines}\n`, timeoutMs: 110_000 });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('10,000,000 in / 5,000,000 out tokens, $20.0000');
    const logged = await rows(dir);
    expect(logged).toHaveLength(10_000);
    expect(new Set(logged.map((row) => row.id)).size).toBe(10_000);
    expect(logged.every((row) => row.face === 'batch' && row.status === 200 && row.tokens.input === 1000)).toBe(true);
  });
});
