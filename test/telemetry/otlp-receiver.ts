// A recording OTLP/HTTP collector for the tests: it takes what the official exporters send (http/protobuf, decoded
// with protobufjs from ./otlp.proto, or http/json) and keeps the spans and metric points in one plain shape.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export type AttributeValue = string | number | boolean | Array<string | number | boolean>;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** 1 internal, 2 server, 3 client */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  events: Array<{ name: string; attributes: Record<string, AttributeValue> }>;
  /** 0 unset, 1 ok, 2 error */
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
}

export interface ReceivedPoint {
  metric: string;
  unit: string;
  count: number;
  sum: number;
  attributes: Record<string, AttributeValue>;
}

export interface OtlpReceiver {
  /** http://127.0.0.1:PORT, for OTEL_EXPORTER_OTLP_ENDPOINT */
  url: string;
  spans: ReceivedSpan[];
  points: ReceivedPoint[];
  /** Content types of the exports received, by path. */
  contentTypes: string[];
  /** Waits until `check` holds of what has arrived (the exporters send in batches, later). */
  until(check: (spans: ReceivedSpan[]) => boolean, ms?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

const root = protobuf.loadSync(fileURLToPath(new URL('./otlp.proto', import.meta.url)));
const TraceRequest = root.lookupType('otlp.ExportTraceServiceRequest');
const MetricsRequest = root.lookupType('otlp.ExportMetricsServiceRequest');
const DECODE = { longs: String, bytes: String, defaults: true, oneofs: false } as const;

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Ids: OTLP/JSON sends hex, protobufjs' object form gives the bytes as base64. */
const idText = (value: unknown, json: boolean): string => (json ? String(value ?? '') : Buffer.from(String(value ?? ''), 'base64').toString('hex'));

function anyValue(value: Loose | undefined): AttributeValue {
  if (!value) return '';
  if (value.stringValue !== undefined && value.stringValue !== '') return value.stringValue;
  if (value.intValue !== undefined && value.intValue !== '0' && value.intValue !== 0) return Number(value.intValue);
  if (value.doubleValue !== undefined && value.doubleValue !== 0) return Number(value.doubleValue);
  if (value.boolValue !== undefined && value.boolValue !== false) return Boolean(value.boolValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map((v: Loose) => anyValue(v) as string);
  // A zero or empty value: the one field set says which.
  if ('intValue' in value) return 0;
  if ('boolValue' in value) return false;
  if ('doubleValue' in value) return 0;
  return '';
}

function attributes(list: Loose[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

/** protobufjs' object form and OTLP/JSON differ only in ids (base64 vs hex) and the casing handled here. */
function collectSpans(request: Loose, json: boolean, into: ReceivedSpan[]): void {
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        into.push({
          traceId: idText(span.traceId, json),
          spanId: idText(span.spanId, json),
          parentSpanId: idText(span.parentSpanId, json),
          traceState: span.traceState ?? '',
          name: span.name,
          kind: Number(span.kind ?? 0),
          startNs: BigInt(span.startTimeUnixNano ?? 0),
          endNs: BigInt(span.endTimeUnixNano ?? 0),
          attributes: attributes(span.attributes),
          events: (span.events ?? []).map((e: Loose) => ({ name: e.name, attributes: attributes(e.attributes) })),
          status: { code: Number(span.status?.code ?? 0), message: span.status?.message ?? '' },
          resource,
        });
      }
    }
  }
}

function collectPoints(request: Loose, into: ReceivedPoint[]): void {
  for (const rm of request.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const metric of sm.metrics ?? []) {
        for (const point of metric.histogram?.dataPoints ?? []) {
          into.push({ metric: metric.name, unit: metric.unit ?? '', count: Number(point.count ?? 0), sum: Number(point.sum ?? 0), attributes: attributes(point.attributes) });
        }
      }
    }
  }
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readAll(req);
    const type = req.headers['content-type'] ?? '';
    contentTypes.push(`${req.url} ${type}`);
    const json = type.includes('json');
    const decode = (message: protobuf.Type): Loose => (json ? JSON.parse(body.toString('utf8')) : message.toObject(message.decode(body), DECODE));
    if (req.url === '/v1/traces') collectSpans(decode(TraceRequest), json, spans);
    else if (req.url === '/v1/metrics') collectPoints(decode(MetricsRequest), points);
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    points,
    contentTypes,
    async until(check, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!check(spans)) {
        if (Date.now() > deadline) throw new Error(`the receiver did not get the spans expected within ${ms} ms; it has: ${spans.map((s) => s.name).join(', ') || 'none'}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return spans;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The span tree under `root`: children in start order. */
export function childrenOf(spans: ReceivedSpan[], parent: ReceivedSpan): ReceivedSpan[] {
  return spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId).sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}
