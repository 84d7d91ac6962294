// OTLP/protobuf written straight from our tracer's spans (encoding-tracer.ts): each span's Span message when it
// ends, into its chunk's growing buffer, and a chunk's ExportTraceServiceRequest around those bytes when it is
// exported. The official serializer walks every span twice (a size estimate, then the write) and encodes every
// attribute's key and value each time; on a proxy every span carries the same keys and mostly the same values, so
// here a string attribute's whole KeyValue is encoded once and copied after, as are the resource and the scope.
// What goes over the wire is the SDK's message: test/telemetry/otlp-protobuf.test.ts decodes both and compares.
// One file (~330 lines): the wire format's few primitives (varints, tags, lengths) and the messages built on them.
import type { AttributeValue, Attributes, Link, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';

const LEN = 2;
/** Pre-encoded KeyValues are kept for this many distinct string pairs; rarer ones are encoded each time. */
const MAX_CACHED_PAIRS = 4096;
const MAX_CACHED_VALUE_CHARS = 256;
const TWO_32 = 0x1_0000_0000;
/** Up to this many bytes, raw() copies in a loop. */
const SMALL_COPY = 64;
/** A hex digit's value by its char code (anything else reads as 0: ids are validated before they get here). */
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i;

export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(bytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(bytes);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.ensure(10);
    if (value < 0) {
      // An int64 below zero: ten bytes of two's complement.
      let big = BigInt.asUintN(64, BigInt(value));
      while (big > 0x7fn) {
        this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.pos++] = Number(big);
      return;
    }
    const buf = this.buf;
    while (value > 0x7f) {
      buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buf[this.pos++] = value;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  string(field: number, text: string): void {
    this.tag(field, LEN);
    const max = text.length * 3;
    this.ensure(max + 5);
    if (max < 0x80) {
      // The length fits one byte whatever the text: written after it, then put in front. ASCII (span names, most
      // messages) is copied here: a native write costs more than the loop for a few dozen characters.
      const buf = this.buf;
      const at = this.pos + 1;
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code > 0x7f) break;
        buf[at + i] = code;
      }
      const written = i === text.length ? i : i + buf.write(text.slice(i), at + i, 'utf8');
      buf[this.pos] = written;
      this.pos = at + written;
      return;
    }
    this.varint(Buffer.byteLength(text));
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** A 16- or 8-byte id from its hex spelling (validated lowercase or uppercase hex: the API's ids are). */
  id(field: number, hex: string): void {
    this.tag(field, LEN);
    const length = hex.length >> 1;
    this.ensure(length + 1);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = length;
    // Decoded here: Buffer's hex write is a native call per id, three a span.
    for (let i = 0; i < hex.length; i += 2) buf[pos++] = (NIBBLE[hex.charCodeAt(i)]! << 4) | NIBBLE[hex.charCodeAt(i + 1)]!;
    this.pos = pos;
  }

  raw(bytes: Uint8Array): void {
    const length = bytes.length;
    this.ensure(length);
    if (length > SMALL_COPY) this.buf.set(bytes, this.pos);
    else {
      // A cached KeyValue is a few dozen bytes: copied here, TypedArray#set's call costs more than the copy.
      const buf = this.buf;
      const pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos + i] = bytes[i]!;
    }
    this.pos += length;
  }

  /** Nanoseconds since the epoch as fixed64; seconds and nanos exceed a double's exact range once combined. */
  time(field: number, seconds: number, nanos: number): void {
    this.tag(field, 1);
    this.ensure(8);
    // seconds * 1e9 + nanos = high * 2^32 + low, in parts every double holds exactly.
    const upper = Math.floor(seconds / 0x10000) * 1e9; // seconds' upper bits, scaled; times 2^16 below
    const lower = (seconds % 0x10000) * 1e9 + nanos;
    let low = (upper % 0x10000) * 0x10000 + (lower % TWO_32);
    const high = Math.floor(upper / 0x10000) + Math.floor(lower / TWO_32) + Math.floor(low / TWO_32);
    low %= TWO_32;
    this.#uint32(low);
    this.#uint32(high >>> 0);
  }

  /** Little-endian, as fixed32 and each half of fixed64 are; room ensured by the caller. */
  #uint32(value: number): void {
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = value & 0xff;
    buf[pos + 1] = (value >>> 8) & 0xff;
    buf[pos + 2] = (value >>> 16) & 0xff;
    buf[pos + 3] = value >>> 24;
    this.pos = pos + 4;
  }

  fixed32(field: number, value: number): void {
    this.tag(field, 5);
    this.ensure(4);
    this.#uint32(value);
  }

  /**
   * Starts a length-delimited field: its body is written next, then end(start, reserve) puts the length in front.
   * `reserve` bytes are kept for that length, as many as it will likely take: the body moves only when it is wrong.
   */
  open(field: number, reserve = 1): number {
    this.tag(field, LEN);
    this.ensure(reserve);
    this.pos += reserve;
    return this.pos;
  }

  end(start: number, reserve = 1): void {
    const length = this.pos - start;
    const size = lengthSize(length);
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(start - reserve + size, start, this.pos);
      this.pos += size - reserve;
    }
    const buf = this.buf;
    let at = start - reserve;
    let value = length;
    for (let i = 1; i < size; i++) {
      buf[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buf[at] = value;
  }

  take(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** How many bytes `length` takes as a varint. */
function lengthSize(length: number): number {
  let size = 1;
  while (length >= 0x80 ** size) size += 1;
  return size;
}

function anyValue(w: Writer, value: AttributeValue | null | undefined): void {
  switch (typeof value) {
    case 'string':
      return w.string(1, value);
    case 'boolean':
      w.tag(2, 0);
      return w.varint(value ? 1 : 0);
    case 'number':
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
        w.tag(3, 0);
        return w.varint(value);
      }
      w.tag(4, 1);
      w.ensure(8);
      w.pos = w.buf.writeDoubleLE(value, w.pos);
      return;
  }
  if (Array.isArray(value)) {
    const list = w.open(5);
    for (const item of value) {
      const entry = w.open(1);
      anyValue(w, item);
      w.end(entry);
    }
    w.end(list);
  }
}

/** Each (field, key, string value) KeyValue, encoded whole, by field then key then value. */
const encodedPairs = new Map<number, Map<string, Map<string, Uint8Array>>>();
let cachedPairs = 0;

function keyValue(w: Writer, field: number, key: string, value: AttributeValue | undefined): void {
  const entry = w.open(field);
  w.string(1, key);
  const any = w.open(2);
  anyValue(w, value);
  w.end(any);
  w.end(entry);
}

function attributes(w: Writer, field: number, attrs: Attributes): void {
  let byKey = encodedPairs.get(field);
  if (!byKey) encodedPairs.set(field, (byKey = new Map()));
  for (const key in attrs) {
    const value = attrs[key];
    if (typeof value !== 'string' || value.length > MAX_CACHED_VALUE_CHARS) {
      keyValue(w, field, key, value);
      continue;
    }
    let byValue = byKey.get(key);
    let bytes = byValue?.get(value);
    if (!bytes) {
      if (cachedPairs >= MAX_CACHED_PAIRS) {
        keyValue(w, field, key, value);
        continue;
      }
      const one = new Writer();
      keyValue(one, field, key, value);
      bytes = Uint8Array.from(one.take());
      if (!byValue) byKey.set(key, (byValue = new Map()));
      byValue.set(value, bytes);
      cachedPairs += 1;
    }
    w.raw(bytes);
  }
}

const spanFlags = (traceFlags: number, remote: boolean | undefined): number => (traceFlags & 0xff) | 0x100 | (remote ? 0x200 : 0);

function count(w: Writer, field: number, value: number | undefined): void {
  if (!value) return;
  w.tag(field, 0);
  w.varint(value);
}

/** An event as a span keeps it until it ends: its time in seconds and nanoseconds since the epoch. */
export interface EventRecord {
  name: string;
  seconds: number;
  nanos: number;
  attributes: Attributes | undefined;
}

/** What a span has to say once ended: the fields of an OTLP Span, times in seconds and nanoseconds. */
export interface SpanRecord {
  readonly context: SpanContext;
  readonly parentSpanId: string | undefined;
  readonly parentRemote: boolean;
  readonly name: string;
  readonly kind: number;
  readonly startSeconds: number;
  readonly startNanos: number;
  readonly endSeconds: number;
  readonly endNanos: number;
  readonly attributes: Attributes;
  /** A frozen attribute set, every value valid, written before `attributes` from bytes encoded once per set. */
  readonly baseAttributes: Attributes | undefined;
  readonly droppedAttributesCount: number;
  readonly events: readonly EventRecord[] | undefined;
  readonly droppedEventsCount: number;
  readonly links: readonly Link[] | undefined;
  readonly droppedLinksCount: number;
  readonly statusCode: number;
  readonly statusMessage: string | undefined;
}

function event(w: Writer, e: EventRecord): void {
  const start = w.open(11);
  w.time(1, e.seconds, e.nanos);
  w.string(2, e.name);
  if (e.attributes) attributes(w, 3, e.attributes);
  w.end(start);
}

function link(w: Writer, l: Link): void {
  const start = w.open(13);
  w.id(1, l.context.traceId);
  w.id(2, l.context.spanId);
  const state = l.context.traceState?.serialize();
  if (state) w.string(3, state);
  if (l.attributes) attributes(w, 4, l.attributes);
  count(w, 5, l.droppedAttributesCount);
  w.fixed32(6, spanFlags(l.context.traceFlags, l.context.isRemote));
  w.end(start);
}

/** One ended span, as field 2 of a ScopeSpans: written when the span ends, the span then dropped. */
export function writeSpan(w: Writer, s: SpanRecord): void {
  const start = w.open(2, 2); // a span's length takes two bytes unless it is over 16 KiB
  const context = s.context;
  w.id(1, context.traceId);
  w.id(2, context.spanId);
  const state = context.traceState?.serialize();
  if (state) w.string(3, state);
  if (s.parentSpanId) w.id(4, s.parentSpanId);
  w.string(5, s.name);
  w.tag(6, 0);
  w.varint(s.kind + 1); // the API's kinds start at INTERNAL = 0, OTLP's at UNSPECIFIED
  w.time(7, s.startSeconds, s.startNanos);
  w.time(8, s.endSeconds, s.endNanos);
  if (s.baseAttributes) w.raw(encodedOnce(encodedSpanSets, s.baseAttributes, (r) => attributes(r, 9, s.baseAttributes!)));
  attributes(w, 9, s.attributes);
  count(w, 10, s.droppedAttributesCount);
  if (s.events) for (const e of s.events) event(w, e);
  count(w, 12, s.droppedEventsCount);
  if (s.links) for (const l of s.links) link(w, l);
  count(w, 14, s.droppedLinksCount);
  const status = w.open(15);
  if (s.statusMessage) w.string(2, s.statusMessage);
  count(w, 3, s.statusCode);
  w.end(status);
  w.fixed32(16, spanFlags(context.traceFlags, s.parentRemote));
  w.end(start, 2);
}

function encodedOnce<K extends object>(cache: WeakMap<K, Uint8Array>, key: K, write: (w: Writer) => void): Uint8Array {
  let bytes = cache.get(key);
  if (!bytes) {
    const w = new Writer(1024);
    write(w);
    bytes = Uint8Array.from(w.take());
    cache.set(key, bytes);
  }
  return bytes;
}

const encodedResources = new WeakMap<Resource, Uint8Array>();
const encodedSpanSets = new WeakMap<Attributes, Uint8Array>();

const encodedScopes = new WeakMap<InstrumentationScope, Uint8Array>();

/**
 * An ExportTraceServiceRequest: one resource, and per scope the spans writeSpan wrote (whole Span fields, one after
 * the other), each scope's list as it is.
 */
export function encodeTraceRequest(resource: Resource, scopes: Iterable<readonly [InstrumentationScope, Writer]>, bytes: number): Uint8Array {
  const w = new Writer(bytes + 1024);
  // The lengths in front of the chunk's bytes are reserved at the size they will have: the bytes are not moved.
  const outer = lengthSize(bytes + 1024);
  const resourceSpans = w.open(1, outer);
  w.raw(encodedOnce(encodedResources, resource, (r) => {
    const start = r.open(1);
    attributes(r, 1, resource.attributes);
    r.end(start);
  }));
  for (const [scope, spans] of scopes) {
    const inner = lengthSize(spans.pos + 512);
    const scopeSpans = w.open(2, inner);
    w.raw(encodedOnce(encodedScopes, scope, (r) => {
      const start = r.open(1);
      r.string(1, scope.name);
      if (scope.version) r.string(2, scope.version);
      r.end(start);
    }));
    w.raw(spans.take());
    if (scope.schemaUrl) w.string(3, scope.schemaUrl);
    w.end(scopeSpans, inner);
  }
  if (resource.schemaUrl) w.string(3, resource.schemaUrl);
  w.end(resourceSpans, outer);
  return w.take();
}
