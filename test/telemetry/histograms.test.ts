// The GenAI histograms llmpass aggregates itself and hands to the SDK's reader: buckets as the SDK counts them
// (inclusive upper bounds), one series per attribute set however the set object was built, delta resets.
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { Histogram, HistogramProducer } from '../../src/telemetry/histograms.ts';

const descriptor = { name: 'gen_ai.client.operation.duration', description: 'GenAI operation duration', unit: 's', boundaries: [1, 2, 4] };

async function points(histogram: Histogram, temporality = AggregationTemporality.CUMULATIVE) {
  const producer = new HistogramProducer([histogram], { name: 'llmpass', version: '0' }, temporality, resourceFromAttributes({}));
  const { resourceMetrics, errors } = await producer.collect();
  expect(errors).toEqual([]);
  const metric = resourceMetrics.scopeMetrics[0]?.metrics[0];
  if (!metric) return [];
  expect(metric).toMatchObject({ descriptor: { name: descriptor.name, unit: 's' }, aggregationTemporality: temporality });
  if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`a ${metric.dataPointType} metric, not a histogram`);
  return metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value }));
}

describe('llmpass histograms', () => {
  it('count values into inclusive upper-bound buckets, with sum, min and max per attribute set', async () => {
    const histogram = new Histogram(descriptor);
    const set = { 'gen_ai.request.model': 'gpt' };
    for (const value of [0.5, 1, 1.5, 4, 9]) histogram.record(value, set);
    // An equal set built anew is the same series.
    histogram.record(2, { 'gen_ai.request.model': 'gpt' });
    histogram.record(3, { 'gen_ai.request.model': 'other' });
    expect(await points(histogram)).toEqual([
      { attributes: set, value: { buckets: { boundaries: [1, 2, 4], counts: [2, 2, 1, 1] }, count: 6, sum: 18, min: 0.5, max: 9 } },
      { attributes: { 'gen_ai.request.model': 'other' }, value: { buckets: { boundaries: [1, 2, 4], counts: [0, 0, 1, 0] }, count: 1, sum: 3, min: 3, max: 3 } },
    ]);
  });

  it('export nothing before a record, and start afresh after each delta collection', async () => {
    const histogram = new Histogram(descriptor);
    expect(await points(histogram, AggregationTemporality.DELTA)).toEqual([]);
    histogram.record(1, { a: 'b' });
    expect((await points(histogram, AggregationTemporality.DELTA))[0]?.value.count).toBe(1);
    expect(await points(histogram, AggregationTemporality.DELTA)).toEqual([]);
    histogram.record(5, { a: 'b' });
    expect((await points(histogram, AggregationTemporality.DELTA))[0]?.value).toMatchObject({ count: 1, sum: 5, min: 5, max: 5 });
  });
});
