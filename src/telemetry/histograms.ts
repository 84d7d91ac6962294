// The GenAI histograms, aggregated here and handed to the SDK's metric reader as a MetricProducer. The SDK's own
// Histogram hashes its attributes on every record (three records an attempt): the proxy's profile showed it. Here
// an attribute set (a cached object, see metric-sets.ts) finds its series through a WeakMap, and a record is a
// bucket search and four additions. Export, temporality and the reader's timing stay the SDK's.
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type CollectionResult, type HistogramMetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';

/** As the SDK: past this many attribute sets per histogram, records go to one overflow series. */
const MAX_SERIES = 2000;
const OVERFLOW: Attributes = { 'otel.metric.overflow': true };
const OVERFLOW_KEY = '\u0000overflow';

class Series {
  readonly attributes: Attributes;
  readonly counts: number[];
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  startTime: HrTime;

  constructor(attributes: Attributes, buckets: number) {
    this.attributes = attributes;
    this.counts = new Array<number>(buckets + 1).fill(0);
    this.startTime = hrTime();
  }

  reset(now: HrTime): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.startTime = now;
  }
}

export interface HistogramDescriptor {
  name: string;
  description: string;
  unit: string;
  boundaries: number[];
}

export class Histogram {
  readonly #descriptor: HistogramDescriptor;
  /** Every series, by its attributes' canonical text: what is exported. */
  readonly #series = new Map<string, Series>();
  /** The fast path: the very attribute object a cached set hands in. */
  readonly #byObject = new WeakMap<Attributes, Series>();

  constructor(descriptor: HistogramDescriptor) {
    this.#descriptor = descriptor;
  }

  record(value: number, attributes: Attributes): void {
    const series = this.#byObject.get(attributes) ?? this.#find(attributes);
    const boundaries = this.#descriptor.boundaries;
    let bucket = 0;
    while (bucket < boundaries.length && value > boundaries[bucket]!) bucket += 1;
    series.counts[bucket]! += 1;
    series.count += 1;
    series.sum += value;
    if (value < series.min) series.min = value;
    if (value > series.max) series.max = value;
  }

  /** A set seen for the first time (or rebuilt after its cache was cleared): the series its attributes name. */
  #find(attributes: Attributes): Series {
    const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let series = this.#series.get(key);
    if (!series) {
      const full = this.#series.size >= MAX_SERIES;
      const name = full ? OVERFLOW_KEY : key;
      series = this.#series.get(name) ?? new Series(full ? OVERFLOW : attributes, this.#descriptor.boundaries.length);
      this.#series.set(name, series);
    }
    this.#byObject.set(attributes, series);
    return series;
  }

  /** The recorded series as the SDK's data; a delta export starts them afresh. */
  collect(temporality: AggregationTemporality, now: HrTime): HistogramMetricData | undefined {
    const { name, description, unit, boundaries } = this.#descriptor;
    const dataPoints: HistogramMetricData['dataPoints'] = [];
    for (const series of this.#series.values()) {
      if (series.count === 0) continue;
      dataPoints.push({
        startTime: series.startTime,
        endTime: now,
        attributes: series.attributes,
        value: { buckets: { boundaries, counts: [...series.counts] }, count: series.count, sum: series.sum, min: series.min, max: series.max },
      });
      if (temporality === AggregationTemporality.DELTA) series.reset(now);
    }
    if (dataPoints.length === 0) return undefined;
    return { descriptor: { name, description, unit, valueType: ValueType.DOUBLE }, aggregationTemporality: temporality, dataPointType: DataPointType.HISTOGRAM, dataPoints };
  }
}

/** Our histograms as one instrumentation scope, for a reader's `metricProducers`. */
export class HistogramProducer implements MetricProducer {
  readonly #histograms: Histogram[];
  readonly #scope: { name: string; version: string };
  readonly #temporality: AggregationTemporality;
  readonly #resource: Resource;

  constructor(histograms: Histogram[], scope: { name: string; version: string }, temporality: AggregationTemporality, resource: Resource) {
    this.#histograms = histograms;
    this.#scope = scope;
    this.#temporality = temporality;
    this.#resource = resource;
  }

  collect(): Promise<CollectionResult> {
    const now = hrTime();
    const metrics = this.#histograms.map((histogram) => histogram.collect(this.#temporality, now)).filter((metric) => metric !== undefined);
    // The reader keeps its own resource and takes only the scopes from here.
    return Promise.resolve({ resourceMetrics: { resource: this.#resource, scopeMetrics: metrics.length ? [{ scope: this.#scope, metrics }] : [] }, errors: [] });
  }
}
