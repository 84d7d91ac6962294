// A 10,000-line `--jsonl` batch records 10,000 rows in the request log (heavy tier: 10,000 calls).
import { afterAll, describe, expect, it } from 'vitest';
import { status } from '../fixtures/fake-upstream.ts';
import { assertBuilt, call } from '../support/cli.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { CHAT, loggedConfig as config, loggedEnv as env, loggedRows as rows } from '../support/logged-calls.ts';
import { fakeUpstreams } from '../support/upstreams.ts';

assertBuilt();
afterAll(cleanupTemp);

const upstream = fakeUpstreams(() => status(200, CHAT));

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
