// Our OTLP/protobuf trace encoder against the official serializer: both requests decoded with the protocol's field
// numbers (./otlp.proto) must be the same message, for spans using every field and attribute kind llmpass can emit.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Tracer } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../src/telemetry/otlp-protobuf.ts';

const root = protobuf.loadSync(fileURLToPath(new URL('./otlp.proto', import.meta.url)));
const TraceRequest = root.lookupType('otlp.ExportTraceServiceRequest');
const decode = (bytes: Uint8Array | undefined) => TraceRequest.toObject(TraceRequest.decode(bytes ?? new Uint8Array()), { longs: String, bytes: String, defaults: true, arrays: true });

function recorder(service: string): { tracer: (name: string, version?: string) => Tracer; spans: () => ReadableSpan[] } {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service, 'service.version': '0.1.0', 'host.cores': 2 }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  return { tracer: (name, version) => provider.getTracer(name, version), spans: () => memory.getFinishedSpans() };
}

const same = (spans: ReadableSpan[]) => expect(decode(encodeTraceRequest(spans))).toEqual(decode(ProtobufTraceSerializer.serializeRequest(spans)));

describe('the OTLP/protobuf trace encoder', () => {
  it('writes what the official serializer writes for a proxy request and its attempts', () => {
    const { tracer, spans } = recorder('llmpass-test');
    const t = tracer('llmpass', '0.1.0');
    // A client's remote parent with a tracestate: the server span carries both.
    const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: new TraceState('vendor=a,other=b') });
    for (let n = 0; n < 300; n++) {
      const server = t.startSpan('POST', { kind: SpanKind.SERVER }, n % 2 ? remote : ROOT_CONTEXT);
      server.setAttributes({ 'http.request.method': 'POST', 'http.route': '/openai', 'http.response.status_code': 200 });
      const parent = trace.setSpan(ROOT_CONTEXT, server);
      const attempt = t.startSpan('chat gpt', { kind: SpanKind.CLIENT, links: n % 3 ? [] : [{ context: server.spanContext(), attributes: { why: 'linked' } }] }, parent);
      attempt.setAttributes({
        'gen_ai.request.model': 'gpt',
        'server.port': 443,
        'llmpass.attempt': n,
        'llmpass.retry.delay_ms': -250,
        'big.int': 2 ** 40 + n,
        'gen_ai.response.time_to_first_chunk': 0.0123 * n,
        'llmpass.streamed': n % 2 === 0,
        'unicode': 'modèle → 模型 🚀',
        'long.value': 'x'.repeat(300 + n),
        'tags': ['a', 'b'],
        'numbers': [1, 2.5, -3],
        'flags': [true, false],
      });
      attempt.addEvent('gen_ai.first_chunk', { 'gen_ai.response.time_to_first_chunk': 0.5 });
      if (n % 5 === 0) attempt.setStatus({ code: SpanStatusCode.ERROR, message: 'HTTP 503' });
      attempt.end();
      server.updateName('POST /openai');
      server.setStatus({ code: SpanStatusCode.OK });
      server.end();
    }
    const done = spans();
    expect(done.length).toBe(600);
    same(done); // several hundred KiB: the buffer grows, lengths take three bytes
    same(done); // again, from the pre-encoded attributes
  });

  it('groups spans by resource and scope as the official serializer does, and encodes a huge attribute', () => {
    const a = recorder('one');
    const b = recorder('two');
    a.tracer('llmpass', '0.1.0').startSpan('call', { kind: SpanKind.INTERNAL, attributes: { 'llmpass.request.body': 'y'.repeat(3 * 1024 * 1024) } }).end();
    b.tracer('llmpass').startSpan('batch').end();
    a.tracer('other', '2').startSpan('line 1', { startTime: [1_700_000_000, 999_999_999] }).end([4_000_000_000, 1]);
    same([...a.spans(), ...b.spans()]);
    same([]);
  });
});
