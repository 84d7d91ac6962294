// The key store's one suite, against SQLite in a temp dir and a real PostgreSQL (test/support/postgres.ts).
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/keys/key.ts';
import { findKey, generateKey, updateKey, teamTotals } from '../../src/keys/manage.ts';
import { openKeyStore } from '../../src/keys/open.ts';
import { currentSpend, type KeyStore } from '../../src/keys/store.ts';
import { POSTGRES_MISSING, postgresInstalled, usePostgres } from '../support/postgres.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const pgServer = usePostgres();

const backends: Array<{ name: string; target: () => Promise<string> }> = [{ name: 'sqlite', target: async () => join(tempDir(), 'state', 'logs.db') }];
if (postgresInstalled()) {
  backends.push({ name: 'postgres', target: () => pgServer.database('keys') });
} else console.warn(`skipping the PostgreSQL half of the key store suite: ${POSTGRES_MISSING}`);

afterAll(() => cleanupTemp());

async function withStore(target: string, use: (store: KeyStore) => Promise<void>): Promise<void> {
  const store = await openKeyStore(target);
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

describe.each(backends)('key store in $name', (backend) => {
  it('stores only the hash of a generated key, with every setting, and finds it by key, hash or alias', async () => {
    await withStore(await backend.target(), async (store) => {
      const { key, record } = await generateKey(store, { key_alias: 'ci', models: ['lang', 'openai/*'], allowed_routes: ['/vllm'], rpm_limit: 60, tpm_limit: 1000, max_parallel_requests: 2, max_budget: 5, budget_duration: '30d', expires: 1_900_000_000_000, metadata: { owner: 'ci' }, team_id: 'platform' }, undefined, 1_000);
      expect(key).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
      expect(record.token).toBe(hashKey(key));
      expect(record.key_name).toBe(`sk-...${key.slice(-4)}`);
      expect(record.budget_reset_at).toBe(1_000 + 30 * 86_400_000);
      const stored = await store.get(record.token);
      expect(stored).toEqual(record);
      expect(JSON.stringify(await store.list())).not.toContain(key);
      expect(await findKey(store, key)).toEqual(record);
      expect(await findKey(store, 'ci')).toEqual(record);
      expect(await findKey(store, record.token)).toEqual(record);
    });
  });

  it('updates settings, refuses a taken alias, deletes, and books spend that resets after the budget period', async () => {
    await withStore(await backend.target(), async (store) => {
      const { record } = await generateKey(store, { key_alias: 'a', max_budget: 1, budget_duration: '30s' }, undefined, 0);
      await generateKey(store, { key_alias: 'b' }, undefined, 0);
      await expect(updateKey(store, 'a', { key_alias: 'b' })).rejects.toThrow(/key_alias "b" is taken/);
      const updated = await updateKey(store, 'a', { rpm_limit: 3, blocked: true, models: ['x'] });
      expect(updated).toMatchObject({ rpm_limit: 3, blocked: true, models: ['x'], max_budget: 1 });

      await store.bookSpend(record.token, 0.4, { input: 10, output: 5 }, 1_000);
      await store.bookSpend(record.token, null, { input: 1 }, 2_000);
      let now = (await store.get(record.token))!;
      expect(now).toMatchObject({ spend: 0.4, input_tokens: 11, output_tokens: 5, calls: 2, budget_reset_at: 30_000 });
      expect(currentSpend(now, 30_000)).toBe(0);
      // The first booking after the period starts the next one with its own cost.
      await store.bookSpend(record.token, 0.25, { input: 1, output: 1 }, 31_000);
      now = (await store.get(record.token))!;
      expect(now).toMatchObject({ spend: 0.25, budget_reset_at: 61_000, calls: 3 });

      await store.update(record.token, { team_id: 't' });
      expect(await teamTotals(store, 't', 31_000)).toMatchObject({ keys: 1, spend: 0.25, calls: 3 });
      expect(await store.delete([record.token, 'f'.repeat(64)])).toEqual([record.token]);
      expect(await store.get(record.token)).toBeUndefined();
    });
  });
});
