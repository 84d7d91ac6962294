// Our OTLP/protobuf tracer (encoding-tracer.ts, span-queue.ts, otlp-protobuf.ts) against the SDK's tracer and the
// official serializer: the same spans made through both, with the same ids and times, decoded with the protocol's
// field numbers (./otlp.proto), must be the same message, for every field and attribute kind llmpass can emit.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { EncodingTracer, spanLimitsFromEnv } from '../../src/telemetry/encoding-tracer.ts';
import { encodeTraceRequest } from '../../src/telemetry/otlp-protobuf.ts';
import { DropCount, SpanQueue, type ChunkExporter, type SpanChunk } from '../../src/telemetry/span-queue.ts';

const root = protobuf.loadSync(fileURLToPath(new URL('./otlp.proto', import.meta.url)));
const TraceRequest = root.lookupType('otlp.ExportTraceServiceRequest');
const decode = (bytes: Uint8Array | undefined) => TraceRequest.toObject(TraceRequest.decode(bytes ?? new Uint8Array()), { longs: String, bytes: String, defaults: true, arrays: true });

/** Ids from a counter: two tracers given one each make the same ids in the same order. */
function countingIds(): IdGenerator {
  let n = 0;
  return {
    generateTraceId: () => (++n).toString(16).padStart(32, '0'),
    generateSpanId: () => (++n).toString(16).padStart(16, '0'),
  };
}

const RESOURCE = resourceFromAttributes({ 'service.name': 'llmpass-test', 'service.version': '0.1.0', 'host.cores': 2 });

/** The official serializer's request for what `make` does with the SDK's tracer. */
function official(make: (tracer: Tracer) => void, scopes: [string, string?][] = [['llmpass', '0.1.0']]): Uint8Array {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: RESOURCE, idGenerator: countingIds(), spanProcessors: [new SimpleSpanProcessor(memory)] });
  for (const [name, version] of scopes) make(provider.getTracer(name, version));
  return ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!;
}

/** A queue whose exporter keeps the requests it is given (serialized as the real one serializes them). */
function recordingQueue(resource: Resource, options: Partial<ConstructorParameters<typeof SpanQueue>[1]> = {}, answer = true) {
  const requests: Uint8Array[] = [];
  const exporter: ChunkExporter = {
    export(chunk: SpanChunk, done) {
      requests.push(Uint8Array.from(encodeTraceRequest(resource, chunk.scopes, chunk.bytes)));
      if (answer) done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => undefined,
  };
  const count = new DropCount();
  const queue = new SpanQueue(exporter, { maxQueueSize: 100_000, maxExportBatchSize: 100_000, scheduledDelayMillis: 60_000, exportTimeoutMillis: 60_000, ...options }, count);
  return { queue, requests, count };
}

/** Our request for what `make` does with our tracer. */
async function ours(make: (tracer: Tracer) => void, scopes: [string, string?][] = [['llmpass', '0.1.0']]): Promise<Uint8Array> {
  const { queue, requests } = recordingQueue(RESOURCE);
  const options = { sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), idGenerator: countingIds(), limits: spanLimitsFromEnv({}), sink: queue };
  for (const [name, version] of scopes) make(new EncodingTracer({ name, version }, options));
  await queue.flush();
  expect(requests.length).toBe(1);
  return requests[0]!;
}

async function same(make: (tracer: Tracer) => void, scopes?: [string, string?][]): Promise<void> {
  expect(decode(await ours(make, scopes))).toEqual(decode(official(make, scopes)));
}

const T0 = 1_700_000_000_000;
const DEPLOYMENT = Object.freeze({ 'gen_ai.operation.name': 'chat', 'server.address': 'api.example', 'server.port': 8443, 'llmpass.deployment': 'gpt#0' });

describe('the OTLP/protobuf tracer', () => {
  it('writes what the SDK and the official serializer write for proxy requests and their attempts', async () => {
    const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: new TraceState('vendor=a,other=b') });
    await same((t) => {
      for (let n = 0; n < 300; n++) {
        // A client's remote parent with a tracestate every other request: the server span carries both.
        const server = t.startSpan('POST', { kind: SpanKind.SERVER, startTime: T0 + n }, n % 2 ? remote : ROOT_CONTEXT);
        server.setAttributes({ 'http.request.method': 'POST', 'http.route': '/openai', 'http.response.status_code': 200 });
        const parent = trace.setSpan(ROOT_CONTEXT, server);
        const attempt = t.startSpan(n % 4 ? 'chat gpt' : 'chat modèle 模型', { kind: SpanKind.CLIENT, startTime: [1_700_000_000, n * 1000], links: n % 3 ? [] : [{ context: server.spanContext(), attributes: { why: 'linked' } }] }, parent);
        // A deployment's frozen set first (kept by reference by our tracer), one of its keys set again at times.
        attempt.setAttributes(DEPLOYMENT);
        if (n % 7 === 0) attempt.setAttribute('server.address', 'moved.example');
        attempt.setAttributes({
          'gen_ai.request.model': 'gpt',
          'server.port': 443,
          'llmpass.attempt': n,
          'llmpass.retry.delay_ms': -250,
          'big.int': 2 ** 40 + n,
          'gen_ai.response.time_to_first_chunk': 0.0123 * n,
          'llmpass.streamed': n % 2 === 0,
          unicode: 'modèle → 模型 🚀',
          'long.value': 'x'.repeat(300 + n),
          tags: ['a', 'b'],
          numbers: [1, 2.5, -3],
          flags: [true, false],
        });
        attempt.setAttribute('error.type', '503');
        attempt.setAttribute('error.type', '_OTHER'); // set twice: the last value, once
        attempt.addEvent('gen_ai.first_chunk', { 'gen_ai.response.time_to_first_chunk': 0.5 }, T0 + n + 1);
        if (n % 5 === 0) attempt.setStatus({ code: SpanStatusCode.ERROR, message: 'HTTP 503' });
        attempt.end([1_700_000_001, n * 1000 + 999_999_000]);
        server.updateName('POST /openai');
        server.setStatus({ code: SpanStatusCode.OK });
        server.setStatus({ code: SpanStatusCode.ERROR, message: 'after OK: ignored' });
        server.end(T0 + 2 * n + 5);
        server.setAttribute('after.end', 'ignored');
      }
    });
  });

  it('groups spans by scope, encodes a huge attribute, times from a Date and past 2^32 seconds', async () => {
    await same(
      (t) => {
        t.startSpan('call', { kind: SpanKind.INTERNAL, startTime: T0, attributes: { 'llmpass.request.body': 'y'.repeat(3 * 1024 * 1024) } }).end(new Date(T0 + 1500));
        t.startSpan('line 1', { startTime: [1_700_000_000, 999_999_999] }).end([4_000_000_000, 1]);
        t.startSpan('ends before it starts', { startTime: T0 + 10 }).end(T0);
      },
      [['llmpass', '0.1.0'], ['other']],
    );
  });

  it('times a span from the wall clock at its start and the monotonic clock after', async () => {
    const before = Date.now();
    const request = decode(await ours((t) => t.startSpan('now').end()));
    const after = Date.now();
    const span = request.resourceSpans[0].scopeSpans[0].spans[0];
    const start = Number(BigInt(span.startTimeUnixNano) / 1_000_000n);
    const end = Number(BigInt(span.endTimeUnixNano) / 1_000_000n);
    expect(start).toBeGreaterThanOrEqual(before);
    expect(end).toBeGreaterThanOrEqual(start);
    expect(end).toBeLessThanOrEqual(after + 1);
  });

  it('ends a span told its end after the fact (a performance.now() reading) at that moment, measured from its start', async () => {
    let before = 0;
    let after = 0;
    let told = 0;
    const request = decode(
      await ours((t) => {
        before = performance.now();
        const span = t.startSpan('told');
        after = performance.now();
        told = performance.now(); // the end, as an observer took it
        const wait = performance.now();
        while (performance.now() - wait < 2); // ended later than told: the told time is kept
        span.end(told);
      }),
    );
    const span = request.resourceSpans[0].scopeSpans[0].spans[0];
    const lengthMs = Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
    // Within what the clock allows whatever the machine's load: from the told end back to the span's start.
    expect(lengthMs).toBeGreaterThanOrEqual(told - after - 0.001);
    expect(lengthMs).toBeLessThanOrEqual(told - before + 0.001);
  });
});

describe('the span queue', () => {
  const tracerOver = (queue: SpanQueue) => new EncodingTracer({ name: 'llmpass' }, { sampler: new AlwaysOnSampler(), idGenerator: countingIds(), limits: spanLimitsFromEnv({}), sink: queue });

  it('exports chunks of at most the batch size, one at a time, and drops what exceeds the queue, counted', async () => {
    // An exporter that never answers: the first chunk stays on its way, the next wait, the rest are dropped.
    const { queue, requests, count } = recordingQueue(RESOURCE, { maxQueueSize: 10, maxExportBatchSize: 4 }, false);
    const tracer = tracerOver(queue);
    for (let n = 0; n < 20; n++) tracer.startSpan(`span ${n}`).end();
    expect(requests.length).toBe(1);
    expect(decode(requests[0]).resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name)).toEqual(['span 0', 'span 1', 'span 2', 'span 3']);
    // 4 sent, 10 waiting, 6 dropped.
    expect(count.dropped).toBe(6);
  });

  it('counts the spans of a failed export as dropped, and exports what waits after it', async () => {
    const exported: number[] = [];
    let answers = 0;
    const exporter: ChunkExporter = {
      export(chunk, done) {
        exported.push(chunk.spans);
        done({ code: answers++ === 0 ? ExportResultCode.FAILED : ExportResultCode.SUCCESS });
      },
      shutdown: async () => undefined,
    };
    const count = new DropCount();
    const queue = new SpanQueue(exporter, { maxQueueSize: 100, maxExportBatchSize: 3, scheduledDelayMillis: 60_000, exportTimeoutMillis: 60_000 }, count);
    const tracer = tracerOver(queue);
    for (let n = 0; n < 7; n++) tracer.startSpan(`span ${n}`).end();
    await queue.shutdown();
    expect(exported).toEqual([3, 3, 1]);
    expect(count.dropped).toBe(3);
  });

  it('leaves out a span the sampler does not sample, its context still valid for the upstream', async () => {
    const { queue, requests } = recordingQueue(RESOURCE);
    const tracer = tracerOver(queue);
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });
    const parentBased = new EncodingTracer({ name: 'llmpass' }, { sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), idGenerator: countingIds(), limits: spanLimitsFromEnv({}), sink: queue });
    const span = parentBased.startSpan('POST', { kind: SpanKind.SERVER }, unsampled);
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    span.end();
    tracer.startSpan('sampled').end();
    await queue.flush();
    expect(decode(requests[0]).resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name)).toEqual(['sampled']);
  });
});
