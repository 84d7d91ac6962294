// A logged call's tokens, cost and unpriced count are summed per alias and deployment and read at a scrape: the
// figures must be those the rows say, and a label set nothing was counted for must not appear.
import { describe, expect, it } from 'vitest';
import type { RequestRow } from '../../src/accounting/log/row.ts';
import { ProxyMetrics } from '../../src/proxy/metrics.ts';

const row = (alias: string, tokens: Partial<RequestRow['tokens']>, cost: number | null) => ({ alias, deployment: `${alias}#0`, tokens, cost, keyAlias: null }) as unknown as RequestRow;

describe('ProxyMetrics.accounted', () => {
  it('sums tokens and cost by alias and deployment, counts unpriced calls apart, and leaves unknown counts out', async () => {
    const metrics = new ProxyMetrics();
    metrics.accounted(row('chat', { input: 10, output: 5 }, 0.5));
    metrics.accounted(row('chat', { input: 1, output: 2 }, 0.25));
    metrics.accounted(row('local', { input: 7, output: 0 }, null));
    metrics.accounted(row('quiet', {}, null));
    const text = await metrics.registry.metrics();
    expect(text).toContain('llmpass_tokens_total{alias="chat",deployment="chat#0",kind="input"} 11');
    expect(text).toContain('llmpass_tokens_total{alias="chat",deployment="chat#0",kind="output"} 7');
    expect(text).toContain('llmpass_cost_usd_total{alias="chat",deployment="chat#0"} 0.75');
    expect(text).toContain('llmpass_unpriced_calls_total{alias="local",deployment="local#0"} 1');
    expect(text).toContain('llmpass_tokens_total{alias="local",deployment="local#0",kind="output"} 0');
    expect(text).not.toContain('alias="quiet"');
    expect(text).not.toMatch(/llmpass_cost_usd_total\{alias="local"/);
    // A second scrape reads the same sums, not doubled ones.
    expect(await metrics.registry.metrics()).toContain('llmpass_tokens_total{alias="chat",deployment="chat#0",kind="input"} 11');
  });
});
