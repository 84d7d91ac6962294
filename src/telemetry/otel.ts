// The OpenTelemetry SDK, loaded only when telemetry is on (see index.ts): a tracer provider exporting OTLP through
// a bounded batch processor, a meter provider for the GenAI client metrics, and the W3C propagator. One file
// (~290 lines): it is the one place the SDK's packages are imported and configured from the OTEL_* variables.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InstrumentType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_REQUEST_MODEL,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from '@opentelemetry/semantic-conventions/incubating';
import type { IncomingHttpHeaders } from 'node:http';
import { OtelCallTrace } from './call-trace.ts';
import { Histogram, HistogramProducer } from './histograms.ts';
import { EncodingTracer, samplerFromEnv, spanLimitsFromEnv } from './encoding-tracer.ts';
import { PooledIdGenerator } from './ids.ts';
import { encodeTraceRequest } from './otlp-protobuf.ts';
import { DropCount, SpanQueue, type ChunkExporter, type SpanChunk } from './span-queue.ts';
import type { BatchTrace, CallOutcome, CallTrace, Telemetry } from './index.ts';
import type { GenAiMetrics, TraceRuntime } from './runtime.ts';
import type { OtlpProtocol, TelemetrySettings } from './settings.ts';
import { cjsExports } from '../config/cjs-import.ts';

const VERSION = '0.1.0';
/** The CLI's exports give up after this: a collector away never holds an exit up for longer. */
const CLI_EXPORT_TIMEOUT_MS = 1000;
const SECONDS_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/** DropCount with the spans the batch processor holds (the http/json path). */
class QueuedDropCount extends DropCount {
  queued = 0;
}

class CountingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #count: QueuedDropCount;
  constructor(inner: SpanExporter, count: QueuedDropCount) {
    this.#inner = inner;
    this.#count = count;
  }
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#count.queued = Math.max(0, this.#count.queued - spans.length);
    this.#inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.#count.dropped += spans.length;
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The batch processor behind a bound that is counted: a slow collector costs spans, never memory or latency. */
class BoundedProcessor implements SpanProcessor {
  readonly #inner: SpanProcessor;
  readonly #count: QueuedDropCount;
  readonly #max: number;
  constructor(inner: SpanProcessor, count: QueuedDropCount, max: number) {
    this.#inner = inner;
    this.#count = count;
    this.#max = max;
  }
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#count.queued >= this.#max) {
      this.#count.dropped += 1;
      return;
    }
    this.#count.queued += 1;
    this.#inner.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
}

/** The official OTLP/JSON exporter, for the SDK's batch processor. */
async function jsonSpanExporter(timeoutMillis: number | undefined): Promise<SpanExporter> {
  const { OTLPTraceExporter } = cjsExports(await import('@opentelemetry/exporter-trace-otlp-http'), 'OTLPTraceExporter');
  return new OTLPTraceExporter(timeoutMillis === undefined ? {} : { timeoutMillis });
}

/**
 * The official exporter's transport (endpoint, headers, compression, retries and TLS from the OTEL_* variables)
 * over chunks of spans already encoded (span-queue.ts): its serializer only wraps them in the request.
 */
async function protobufChunkExporter(resource: Resource, timeoutMillis: number | undefined): Promise<ChunkExporter> {
  const [{ OTLPExporterBase }, { createOtlpHttpExportDelegate, convertLegacyHttpOptions }, { ProtobufTraceSerializer }] = await Promise.all([
    import('@opentelemetry/otlp-exporter-base').then((m) => cjsExports(m, 'OTLPExporterBase')),
    import('@opentelemetry/otlp-exporter-base/node-http').then((m) => cjsExports(m, 'createOtlpHttpExportDelegate')),
    import('@opentelemetry/otlp-transformer').then((m) => cjsExports(m, 'ProtobufTraceSerializer')),
  ]);
  const serializer = {
    serializeRequest: (chunk: SpanChunk) => encodeTraceRequest(resource, chunk.scopes, chunk.bytes),
    deserializeResponse: (data: Uint8Array) => ProtobufTraceSerializer.deserializeResponse(data),
  };
  const options = convertLegacyHttpOptions(timeoutMillis === undefined ? {} : { timeoutMillis }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  const countSpans = { name: 'span' as const, countItems: (chunk: SpanChunk) => chunk.spans };
  return new OTLPExporterBase(createOtlpHttpExportDelegate(options, serializer, 'otlp_http_span_exporter', countSpans, undefined));
}

async function metricExporter(protocol: OtlpProtocol, timeoutMillis: number | undefined): Promise<PushMetricExporter> {
  const config = timeoutMillis === undefined ? {} : { timeoutMillis };
  const { OTLPMetricExporter } = protocol === 'http/json' ? cjsExports(await import('@opentelemetry/exporter-metrics-otlp-http'), 'OTLPMetricExporter') : cjsExports(await import('@opentelemetry/exporter-metrics-otlp-proto'), 'OTLPMetricExporter');
  return new OTLPMetricExporter(config);
}

/** The GenAI client histograms, aggregated by histograms.ts and collected by the reader as one more producer. */
function genAiHistograms(): { histograms: Histogram[]; metrics: GenAiMetrics } {
  const duration = new Histogram({ name: METRIC_GEN_AI_CLIENT_OPERATION_DURATION, unit: 's', description: 'GenAI operation duration', boundaries: SECONDS_BUCKETS });
  const tokens = new Histogram({ name: METRIC_GEN_AI_CLIENT_TOKEN_USAGE, unit: '{token}', description: 'Number of input and output tokens used', boundaries: TOKEN_BUCKETS });
  const firstChunk = new Histogram({ name: METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, unit: 's', description: 'Time to the first chunk of a streamed answer', boundaries: SECONDS_BUCKETS });
  return {
    histograms: [duration, tokens, firstChunk],
    metrics: {
      duration: (seconds, set) => duration.record(seconds, set.plain),
      tokens: (input, output, set) => {
        if (input !== undefined) tokens.record(input, set.input);
        if (output !== undefined) tokens.record(output, set.output);
      },
      firstChunk: (seconds, set) => firstChunk.record(seconds, set.plain),
    },
  };
}

/**
 * The tracer and its export. OTLP/protobuf, the default: our tracer writing each span's bytes as it ends, queued
 * and sent by the official exporter's transport (encoding-tracer.ts says why not the SDK's). OTLP/JSON: the SDK's
 * tracer, batch processor and exporter.
 */
async function startTraces(protocol: OtlpProtocol, resource: Resource, cli: boolean, count: QueuedDropCount, warn: (message: string) => void): Promise<{ tracer: Tracer; shutdown(): Promise<void> }> {
  const env = process.env;
  const timeoutMillis = cli ? CLI_EXPORT_TIMEOUT_MS : undefined;
  // The SDK reads no OTEL_BSP_* variable itself. A queue that holds a couple of seconds of a busy proxy's spans,
  // exported at least once a second, so that a quiet proxy's traces show up soon. Batches of the specification's
  // 512: each export is an HTTP request, and a busy proxy exporting 512 at a time answered ~2% more requests than
  // one exporting 256 (side by side, 9 rounds of 5 s).
  const maxQueueSize = Number(env.OTEL_BSP_MAX_QUEUE_SIZE) || 4096;
  const queue = {
    maxQueueSize,
    maxExportBatchSize: Math.min(maxQueueSize, Number(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE) || 512),
    scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY) || 1000,
    exportTimeoutMillis: cli ? CLI_EXPORT_TIMEOUT_MS : Number(env.OTEL_BSP_EXPORT_TIMEOUT) || 10_000,
  };
  const sampler = samplerFromEnv(env, warn);
  const idGenerator = new PooledIdGenerator();
  if (protocol === 'http/protobuf') {
    const spans = new SpanQueue(await protobufChunkExporter(resource, timeoutMillis), queue, count);
    const tracer = new EncodingTracer({ name: 'llmpass', version: VERSION }, { sampler, idGenerator, limits: spanLimitsFromEnv(env), sink: spans });
    return { tracer, shutdown: () => spans.shutdown() };
  }
  const batch = new BatchSpanProcessor(new CountingExporter(await jsonSpanExporter(timeoutMillis), count), queue);
  const provider = new BasicTracerProvider({ resource, sampler, idGenerator, spanProcessors: [new BoundedProcessor(batch, count, maxQueueSize)] });
  return { tracer: provider.getTracer('llmpass', VERSION), shutdown: () => provider.shutdown() };
}

/** Settles when `work` does or after `ms`, whichever is first; the timer never keeps the process alive. */
function within(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    work.then(
      () => resolve(),
      () => resolve(),
    ).finally(() => clearTimeout(timer));
  });
}

export async function startOtel(settings: TelemetrySettings, warn: (message: string) => void): Promise<Telemetry> {
  for (const warning of settings.warnings) warn(warning);
  const cli = settings.face === 'cli';
  const timeoutMillis = cli ? CLI_EXPORT_TIMEOUT_MS : undefined;
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: VERSION }))
    .merge(detectResources({ detectors: [envDetector] }));
  const count = new QueuedDropCount();

  let traces: { tracer: Tracer; shutdown(): Promise<void> } | undefined;
  if (settings.traces) traces = await startTraces(settings.traces.protocol, resource, cli, count, warn);
  const tracer = traces?.tracer ?? trace.getTracer('llmpass'); // the API's no-op while traces are off (metrics only)
  let meterProvider: MeterProvider | undefined;
  let metrics: GenAiMetrics | undefined;
  if (settings.metrics) {
    const interval = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000;
    const exporter = await metricExporter(settings.metrics.protocol, timeoutMillis);
    const genAi = genAiHistograms();
    const temporality = exporter.selectAggregationTemporality?.(InstrumentType.HISTOGRAM) ?? AggregationTemporality.CUMULATIVE;
    const reader = new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: interval,
      exportTimeoutMillis: Math.min(interval, cli ? CLI_EXPORT_TIMEOUT_MS : 30_000),
      metricProducers: [new HistogramProducer(genAi.histograms, { name: 'llmpass', version: VERSION }, temporality, resource)],
    });
    // The provider is the reader's bound producer (it has no instruments of its own) and its shutdown flushes.
    meterProvider = new MeterProvider({ resource, readers: [reader] });
    metrics = genAi.metrics;
  }

  const runtime: TraceRuntime = { tracer, propagator: new W3CTraceContextPropagator(), captureContent: settings.captureContent, metrics };
  // Attributes are set after the start throughout: given to startSpan, the SDK checks and copies them three times.
  const internal = (name: string, attributes: Attributes, parent: Context = ROOT_CONTEXT) => {
    const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
    if (span.isRecording()) span.setAttributes(attributes);
    return span;
  };

  let warnedDrops = 0;
  const dropWatch = cli
    ? undefined
    : setInterval(() => {
        if (count.dropped === warnedDrops) return;
        warn(`telemetry: ${count.dropped - warnedDrops} spans dropped (the collector is unreachable or slow); ${count.dropped} in all`);
        warnedDrops = count.dropped;
      }, 60_000);
  dropWatch?.unref();

  return {
    enabled: true,
    serverRequest(method: string, headers: IncomingHttpHeaders): CallTrace {
      // A client's traceparent/tracestate continue its trace.
      const parent = headers.traceparent === undefined ? ROOT_CONTEXT : runtime.propagator.extract(ROOT_CONTEXT, headers, headerGetter);
      const span = tracer.startSpan(method, SERVER_SPAN, parent);
      if (span.isRecording()) span.setAttribute(ATTR_HTTP_REQUEST_METHOD, method);
      return new OtelCallTrace(runtime, span, parent, method);
    },
    call(model: string, endpoint: string): CallTrace {
      const span = internal(`llmpass call ${model}`, { [ATTR_GEN_AI_REQUEST_MODEL]: model, 'llmpass.endpoint': endpoint });
      return new OtelCallTrace(runtime, span, ROOT_CONTEXT);
    },
    batch(model: string, endpoint: string): BatchTrace {
      const batchSpan = internal(`llmpass batch ${model}`, { [ATTR_GEN_AI_REQUEST_MODEL]: model, 'llmpass.endpoint': endpoint });
      const parent = trace.setSpan(ROOT_CONTEXT, batchSpan);
      const open = new Map<number, CallTrace>();
      let lines = 0;
      const lineTrace = (line: number): CallTrace => {
        let lineTrace = open.get(line);
        if (!lineTrace) {
          lines += 1;
          lineTrace = new OtelCallTrace(runtime, internal(`line ${line}`, { 'llmpass.batch.line': line }, parent), parent);
          open.set(line, lineTrace);
        }
        return lineTrace;
      };
      return {
        onEvent: (event) => lineTrace(event.line).onEvent(event),
        answer: (line, reply) => lineTrace(line).watch(reply),
        lineDone(line: number, outcome: CallOutcome): void {
          lineTrace(line).end(outcome);
          open.delete(line);
        },
        end(failedLines: number, interrupted: boolean): void {
          for (const lineTrace of open.values()) lineTrace.end({ status: 0, error: 'the batch ended first' });
          batchSpan.setAttributes({ 'llmpass.batch.lines': lines, 'llmpass.batch.failed_lines': failedLines });
          if (failedLines > 0 || interrupted) batchSpan.setStatus({ code: SpanStatusCode.ERROR, message: interrupted ? 'interrupted' : `${failedLines} lines failed` });
          batchSpan.end();
        },
      };
    },
    async shutdown(deadlineMs: number): Promise<void> {
      if (dropWatch) clearInterval(dropWatch);
      await within(Promise.allSettled([traces?.shutdown(), meterProvider?.shutdown()]), deadlineMs);
    },
    dropped: () => count.dropped,
  };
}

const SERVER_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.SERVER });

const headerGetter = {
  get(carrier: IncomingHttpHeaders, key: string): string | string[] | undefined {
    return carrier[key];
  },
  keys(carrier: IncomingHttpHeaders): string[] {
    return Object.keys(carrier);
  },
};
