// The proxy's own histogram prints exactly what prom-client's Histogram prints for the same observations, in the
// text exposition and in the JSON form, so /metrics reads the same to every scraper.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SummedHistogram } from '../../src/proxy/summed-histogram.ts';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OBSERVED: Array<[string, number]> = [
  ['hosted_vllm', 0.003],
  ['hosted_vllm', 0.01],
  ['openai', 0.2],
  ['hosted_vllm', 0.7],
  ['openai', 500],
  ['hosted_vllm', 0],
  ['anthropic', 1e-9],
];

function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'llmpass_request_duration_seconds', help: 'Time from request to the end of the response', labelNames: ['provider'], buckets: BUCKETS, registers: [theirs] });
  const summed = new SummedHistogram({ name: 'llmpass_request_duration_seconds', help: 'Time from request to the end of the response', labelName: 'provider', buckets: BUCKETS, registry: ours });
  for (const [provider, value] of OBSERVED) {
    reference.labels(provider).observe(value);
    summed.series(provider).observe(value);
  }
  return { theirs, ours };
}

describe('SummedHistogram', () => {
  it("prints what prom-client's Histogram prints", async () => {
    const { theirs, ours } = both();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it('shows no series before an observation, and none after a reset', async () => {
    const registry = new Registry();
    const summed = new SummedHistogram({ name: 'h_seconds', help: 'h', labelName: 'provider', buckets: BUCKETS, registry });
    expect(await registry.metrics()).toBe('# HELP h_seconds h\n# TYPE h_seconds histogram\n');
    summed.series('x').observe(1);
    registry.resetMetrics();
    expect(await registry.metrics()).toBe('# HELP h_seconds h\n# TYPE h_seconds histogram\n');
  });
});
