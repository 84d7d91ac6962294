import { Counter, Gauge, Registry } from 'prom-client';
import { HistogramSeries, SummedHistogram } from './summed-histogram.ts';
import type { StateEvent } from '../router/state/types.ts';
import type { CallObserver } from '../accounting/observe.ts';
import type { RequestRow } from '../accounting/log/row.ts';

/** What the proxy knows about one request once it is over: for the access log and the metrics alike. */
export interface RequestRecord {
  method: string;
  route: string;
  provider: string;
  alias: string;
  deployment: string;
  /** The virtual key's alias (or display form) when one called; never the key. */
  keyAlias?: string | undefined;
  status: number;
  durationMs: number;
  ttfbMs: number | undefined;
  bytesIn: number;
  bytesOut: number;
  error?: string | undefined;
  /** The request log's observer of the call, when one was sent and the log is on. */
  observer?: CallObserver | undefined;
}

/** One alias and deployment's tokens, cost and unpriced calls, summed here and read by the counters at a scrape. */
interface Account {
  alias: string;
  deployment: string;
  /** Undefined until a call counts one: a label set appears once something was counted for it, as with inc(). */
  input: number | undefined;
  output: number | undefined;
  cost: number | undefined;
  unpriced: number | undefined;
}

/** One virtual key alias's requests (by status class), tokens and cost, summed here and read at a scrape. */
interface KeyAccount {
  requests: Map<string, number>;
  input: number | undefined;
  output: number | undefined;
  cost: number | undefined;
}

/** One provider, alias and status class's request count, and the provider's timings. */
interface Children {
  requests: { count: number };
  duration: HistogramSeries;
  ttfb: HistogramSeries;
}

type Inc = (labels: Record<string, string>, value: number) => void;

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** A gauge set from `read()` at each scrape. */
function gaugeReading(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Prometheus metrics with prom-client. Labels are bounded: provider ids, configured aliases (wildcard routes as
 * written, not the requested model), status classes. Never a key, never a URL.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  // Every request counts in these: plain counts and bucket counts kept here, found by provider, alias and status
  // class without building a key, and read at a scrape (prom-client hashes the label set on every inc and observe,
  // even through labels()). The counter and gauge are held only so they are registered once.
  readonly #children = new Map<string, Map<string, Map<number, Children>>>();
  readonly requestCounter = this.#scrapedCounter('llmpass_requests_total', 'Requests by provider, alias and status class', ['provider', 'alias', 'status'], (inc) => {
    for (const [provider, byAlias] of this.#children) {
      for (const [alias, byClass] of byAlias) for (const [statusClass, child] of byClass) inc({ provider, alias, status: `${statusClass}xx` }, child.requests.count);
    }
  });
  readonly #duration = new SummedHistogram({ name: 'llmpass_request_duration_seconds', help: 'Time from request to the end of the response', labelName: 'provider', buckets: SECONDS, registry: this.registry });
  readonly #ttfb = new SummedHistogram({ name: 'llmpass_time_to_first_byte_seconds', help: 'Time from request to the upstream answer headers', labelName: 'provider', buckets: SECONDS, registry: this.registry });
  #inFlightCount = 0;
  readonly inFlightGauge = gaugeReading(this.registry, 'llmpass_requests_in_flight', 'Requests being served', () => this.#inFlightCount);
  readonly #failures = new Counter({ name: 'llmpass_upstream_failures_total', help: 'Upstream calls that failed to answer', labelNames: ['provider', 'code'], registers: [this.registry] });
  // A logged call adds to plain sums (prom-client hashes the label set on every inc, even through labels()); the
  // counters read them when scraped.
  readonly #accounts = new Map<string, Map<string, Account>>();
  /** The counters that read those sums at a scrape (held only so they are registered once). */
  readonly accountCounters = [this.#accountCounter('llmpass_tokens_total', 'Tokens the answers reported, by alias, deployment and kind (input, output)', ['alias', 'deployment', 'kind'], (a, inc) => {
    if (a.input !== undefined) inc({ alias: a.alias, deployment: a.deployment, kind: 'input' }, a.input);
    if (a.output !== undefined) inc({ alias: a.alias, deployment: a.deployment, kind: 'output' }, a.output);
  }), this.#accountCounter('llmpass_cost_usd_total', 'Cost of the priced calls in USD, by alias and deployment', ['alias', 'deployment'], (a, inc) => {
    if (a.cost !== undefined) inc({ alias: a.alias, deployment: a.deployment }, a.cost);
  }), this.#accountCounter('llmpass_unpriced_calls_total', 'Calls whose usage is known but whose model has no price', ['alias', 'deployment'], (a, inc) => {
    if (a.unpriced !== undefined) inc({ alias: a.alias, deployment: a.deployment }, a.unpriced);
  })];
  // Labelled by the alias an admin gave a key (or its sk-...wxyz form): bounded by the keys made, never a key. Summed
  // per key here, read by the counters at a scrape, as the accounts above are.
  readonly #keys = new Map<string, KeyAccount>();
  readonly keyCounters = [
    this.#keyCounter('llmpass_key_requests_total', 'Requests by virtual key alias and status class', ['key_alias', 'status'], (key_alias, a, inc) => {
      for (const [status, count] of a.requests) inc({ key_alias, status }, count);
    }),
    this.#keyCounter('llmpass_key_tokens_total', 'Tokens the answers reported, by virtual key alias and kind (input, output)', ['key_alias', 'kind'], (key_alias, a, inc) => {
      if (a.input !== undefined) inc({ key_alias, kind: 'input' }, a.input);
      if (a.output !== undefined) inc({ key_alias, kind: 'output' }, a.output);
    }),
    this.#keyCounter('llmpass_key_cost_usd_total', 'Cost of the priced calls in USD, by virtual key alias', ['key_alias'], (key_alias, a, inc) => {
      if (a.cost !== undefined) inc({ key_alias }, a.cost);
    }),
  ];
  readonly #retries = new Counter({ name: 'llmpass_retries_total', help: 'Upstream calls retried', labelNames: ['provider'], registers: [this.registry] });
  // Registered only when Redis is configured: a replica without it has nothing to report here.
  #redisShared: Gauge | undefined;
  #redisFallbacks: Counter | undefined;
  #redisDegraded: Counter | undefined;

  #child(provider: string, alias: string, status: number): Children {
    let byAlias = this.#children.get(provider);
    if (!byAlias) this.#children.set(provider, (byAlias = new Map()));
    let byClass = byAlias.get(alias);
    if (!byClass) byAlias.set(alias, (byClass = new Map()));
    const statusClass = Math.floor(status / 100);
    let child = byClass.get(statusClass);
    if (!child) {
      child = { requests: { count: 0 }, duration: this.#duration.series(provider), ttfb: this.#ttfb.series(provider) };
      byClass.set(statusClass, child);
    }
    return child;
  }

  #keyAccount(keyAlias: string): KeyAccount {
    let account = this.#keys.get(keyAlias);
    if (!account) this.#keys.set(keyAlias, (account = { requests: new Map(), input: undefined, output: undefined, cost: undefined }));
    return account;
  }

  #keyCounter(name: string, help: string, labelNames: string[], each: (keyAlias: string, account: KeyAccount, inc: Inc) => void): Counter {
    const keys = this.#keys;
    return this.#scrapedCounter(name, help, labelNames, (inc) => {
      for (const [keyAlias, account] of keys) each(keyAlias, account, inc);
    });
  }

  #accountCounter(name: string, help: string, labelNames: string[], each: (account: Account, inc: Inc) => void): Counter {
    const accounts = this.#accounts;
    return this.#scrapedCounter(name, help, labelNames, (inc) => {
      for (const byDeployment of accounts.values()) for (const account of byDeployment.values()) each(account, inc);
    });
  }

  /** A counter whose values are sums kept here, set afresh at each scrape (no label set hashed per request). */
  #scrapedCounter(name: string, help: string, labelNames: string[], fill: (inc: Inc) => void): Counter {
    return new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        fill((labels, value) => this.inc(labels, value));
      },
    });
  }

  #account(alias: string, deployment: string): Account {
    let byDeployment = this.#accounts.get(alias);
    if (!byDeployment) this.#accounts.set(alias, (byDeployment = new Map()));
    let account = byDeployment.get(deployment);
    if (!account) byDeployment.set(deployment, (account = { alias, deployment, input: undefined, output: undefined, cost: undefined, unpriced: undefined }));
    return account;
  }

  started(): void {
    this.#inFlightCount++;
  }

  finished(record: RequestRecord): void {
    this.#inFlightCount--;
    const child = this.#child(record.provider || 'none', record.alias, record.status);
    child.requests.count++;
    child.duration.observe(record.durationMs / 1000);
    if (record.ttfbMs !== undefined) child.ttfb.observe(record.ttfbMs / 1000);
    if (record.keyAlias) {
      const requests = this.#keyAccount(record.keyAlias).requests;
      const status = STATUS_CLASSES[Math.floor(record.status / 100)] ?? `${Math.floor(record.status / 100)}xx`;
      requests.set(status, (requests.get(status) ?? 0) + 1);
    }
  }

  /** A logged call's tokens and cost (unknown counts add nothing; an unpriced call is counted apart, not as $0). */
  accounted(row: RequestRow): void {
    const account = this.#account(row.alias ?? '', row.deployment ?? '');
    if (row.tokens.input !== undefined) account.input = (account.input ?? 0) + row.tokens.input;
    if (row.tokens.output !== undefined) account.output = (account.output ?? 0) + row.tokens.output;
    if (row.cost !== null) account.cost = (account.cost ?? 0) + row.cost;
    else if (row.tokens.input !== undefined) account.unpriced = (account.unpriced ?? 0) + 1;
    if (!row.keyAlias) return;
    const key = this.#keyAccount(row.keyAlias);
    if (row.tokens.input !== undefined) key.input = (key.input ?? 0) + row.tokens.input;
    if (row.tokens.output !== undefined) key.output = (key.output ?? 0) + row.tokens.output;
    if (row.cost !== null) key.cost = (key.cost ?? 0) + row.cost;
  }

  upstreamFailure(provider: string, code: string): void {
    this.#failures.inc({ provider, code });
  }

  retried(provider: string): void {
    this.#retries.inc({ provider });
  }

  /** Starts the Redis metrics: whether routing state is shared now, and what failed over to local state. */
  redisState(shared: boolean): void {
    this.#redisShared ??= new Gauge({ name: 'llmpass_redis_shared', help: '1 while routing state is shared through Redis, 0 while this replica routes on its own', registers: [this.registry] });
    this.#redisFallbacks ??= new Counter({ name: 'llmpass_redis_fallbacks_total', help: 'Redis calls that failed or timed out and were served from local state', labelNames: ['operation'], registers: [this.registry] });
    this.#redisDegraded ??= new Counter({ name: 'llmpass_redis_degraded_total', help: 'Times this replica lost Redis and went on with its own state', registers: [this.registry] });
    this.#redisShared.set(shared ? 1 : 0);
  }

  /** While OpenTelemetry is on: the spans it lost (a full queue, a refused or failed export), read at each scrape. */
  telemetryDrops(dropped: () => number): void {
    new Counter({
      name: 'llmpass_telemetry_spans_dropped_total',
      help: 'Trace spans that never reached the OTLP collector (queue full, export refused or failed)',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(dropped());
      },
    });
  }

  /** While the request log is on: rows written and rows dropped (queue full, store down past close), at each scrape. */
  requestLogRows(status: () => Promise<{ written: number; dropped: number } | undefined>): void {
    new Counter({
      name: 'llmpass_request_log_rows_total',
      help: 'Request-log rows by outcome: written to the store, or dropped (queue full while the store was down or slow)',
      labelNames: ['outcome'],
      registers: [this.registry],
      async collect() {
        const now = await status();
        this.reset();
        this.inc({ outcome: 'written' }, now?.written ?? 0);
        this.inc({ outcome: 'dropped' }, now?.dropped ?? 0);
      },
    });
  }

  redisEvent(event: StateEvent): void {
    if (event.type === 'fallback') this.#redisFallbacks?.inc({ operation: event.operation });
    else if (event.type === 'degraded') {
      this.#redisDegraded?.inc();
      this.#redisShared?.set(0);
    } else this.#redisShared?.set(1);
  }
}
