// A Prometheus histogram for the proxy's per-request timings, kept as plain bucket counts per label value and read
// at a scrape. prom-client's own Histogram validates and hashes the label set on every observe, even through a
// child from labels(): twice per proxied request. This one is registered in the same prom-client Registry (which
// reads any metric through its name and getForPromString()/get()) and prints exactly what prom-client's would
// (test/proxy/summed-histogram.test.ts holds it to that).
import type { Registry } from 'prom-client';

/** One label value's buckets: counts per upper bound (not cumulative), their sum and count. */
export class HistogramSeries {
  readonly #bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

interface PromValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
  /** prom-client's buckets carry one (null without exemplars); the JSON form shows it. */
  exemplar?: null;
}

export class SummedHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelName: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(options: { name: string; help: string; labelName: string; buckets: readonly number[]; registry: Registry }) {
    this.name = options.name;
    this.help = options.help;
    this.#labelName = options.labelName;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    options.registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of one label value, made on first use (a label set appears once something was observed for it). */
  series(labelValue: string): HistogramSeries {
    let series = this.#series.get(labelValue);
    if (!series) this.#series.set(labelValue, (series = new HistogramSeries(this.#bounds)));
    return series;
  }

  reset(): void {
    this.#series.clear();
  }

  /** What prom-client's Registry prints: cumulative buckets with `le` first, then +Inf, the sum and the count. */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: PromValue[]; aggregator: string }> {
    const values: PromValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const [labelValue, series] of this.#series) {
      const shared = { [this.#labelName]: labelValue };
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push({ labels: { le: this.#bounds[i]! }, sharedLabels: shared, value: cumulative, metricName: bucket, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: shared, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: shared, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (Registry.getMetricsAsJSON): each value's labels in one object, as prom-client's get() gives. */
  async get(): Promise<{ name: string; help: string; type: string; values: PromValue[]; aggregator: string }> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }
}
