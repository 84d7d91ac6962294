// The bounded queue between the OTLP/protobuf tracer and the official exporter: ended spans arrive already encoded
// (encoding-tracer.ts) and wait as bytes, in chunks of at most OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans, one chunk
// exported at a time, at the latest OTEL_BSP_SCHEDULE_DELAY after its first span. Past OTEL_BSP_MAX_QUEUE_SIZE waiting
// spans, new ones are dropped and counted, as are the spans of a failed export: a slow collector costs spans, never
// memory or latency. The BatchSpanProcessor's behaviour, without a span object kept per span.
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode, type InstrumentationScope } from '@opentelemetry/core';
import { Writer, writeSpan, type SpanRecord } from './otlp-protobuf.ts';
import type { SpanSink } from './encoding-tracer.ts';

/** Spans of one export: their bytes per scope (whole OTLP Span fields, one after the other). */
export interface SpanChunk {
  scopes: Map<InstrumentationScope, Writer>;
  spans: number;
  bytes: number;
}

/** The official exporter (OTLPExporterBase) over chunks: its serializer wraps a chunk's bytes in a request. */
export interface ChunkExporter {
  export(chunk: SpanChunk, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

/** Counts what never reaches the collector: spans refused by a full queue and spans in a failed export. */
export class DropCount {
  dropped = 0;
}

export interface QueueOptions {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

const WRITER_BYTES = 64 * 1024;
const SPARE_WRITERS = 4;
const MAX_SPARE_BYTES = 1024 * 1024;

export class SpanQueue implements SpanSink {
  readonly #exporter: ChunkExporter;
  readonly #options: QueueOptions;
  readonly #count: DropCount;
  #current: SpanChunk | undefined;
  readonly #ready: SpanChunk[] = [];
  /** Spans waiting in #current and #ready. */
  #queued = 0;
  #exporting: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Writers of exported chunks, for the next ones. */
  readonly #spare: Writer[] = [];

  constructor(exporter: ChunkExporter, options: QueueOptions, count: DropCount) {
    this.#exporter = exporter;
    this.#options = options;
    this.#count = count;
  }

  write(scope: InstrumentationScope, span: SpanRecord): void {
    if (this.#queued >= this.#options.maxQueueSize) {
      this.#count.dropped += 1;
      return;
    }
    const chunk = (this.#current ??= { scopes: new Map(), spans: 0, bytes: 0 });
    let writer = chunk.scopes.get(scope);
    if (!writer) chunk.scopes.set(scope, (writer = this.#spare.pop() ?? new Writer(WRITER_BYTES)));
    const before = writer.pos;
    writeSpan(writer, span);
    chunk.bytes += writer.pos - before;
    chunk.spans += 1;
    this.#queued += 1;
    if (chunk.spans >= this.#options.maxExportBatchSize) {
      this.#seal();
      this.#next();
    } else if (!this.#timer && !this.#exporting) this.#arm();
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#seal();
      this.#next();
    }, this.#options.scheduledDelayMillis);
    this.#timer.unref();
  }

  #seal(): void {
    if (!this.#current) return;
    this.#ready.push(this.#current);
    this.#current = undefined;
  }

  /** Exports the next ready chunk unless one is on its way; the one after follows when it is done. */
  #next(): void {
    if (this.#exporting) return;
    const chunk = this.#ready.shift();
    if (!chunk) return;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#queued -= chunk.spans;
    let resolve!: () => void;
    const exporting = (this.#exporting = new Promise<void>((done) => (resolve = done)));
    let settled = false;
    // An export that never answers is given up as the batch processor does: its spans count as dropped.
    const timeout = setTimeout(() => settle(false), this.#options.exportTimeoutMillis);
    timeout.unref();
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      if (!ok) this.#count.dropped += chunk.spans;
      if (this.#exporting === exporting) this.#exporting = undefined;
      resolve();
      if (this.#ready.length) this.#next();
      else if (this.#current && !this.#timer) this.#arm();
    };
    try {
      this.#exporter.export(chunk, (result) => settle(result.code === ExportResultCode.SUCCESS));
    } catch {
      settle(false);
    }
    // The exporter has serialized the chunk by now (or refused it): its writers are free.
    for (const writer of chunk.scopes.values()) {
      if (this.#spare.length >= SPARE_WRITERS) break;
      if (writer.buf.length > MAX_SPARE_BYTES) continue; // a chunk of captured bodies: not kept
      writer.pos = 0;
      this.#spare.push(writer);
    }
  }

  /** Exports everything waiting, one chunk after another. */
  async flush(): Promise<void> {
    this.#seal();
    while (this.#exporting || this.#ready.length) {
      this.#next();
      await this.#exporting;
    }
  }

  async shutdown(): Promise<void> {
    await this.flush();
    await this.#exporter.shutdown();
  }
}
