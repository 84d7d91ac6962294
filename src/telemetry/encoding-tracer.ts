// The OTLP/protobuf tracer: an implementation of the OpenTelemetry API's Tracer whose spans are written as OTLP
// bytes the moment they end (span-queue.ts batches the bytes, the official exporter's transport sends them). It
// takes the place of the SDK's Tracer, Span and BatchSpanProcessor on that path because those cost the proxy
// more than the request it traces: per span the SDK checks and copies every attribute, keeps start and end as
// arrays, counts the span in its own metrics, and holds the whole object until its batch is serialized. Sampling
// (OTEL_TRACES_SAMPLER), ids and the export stay the SDK's and the exporter's; the instrumentation sees the API only.
// One file (~350 lines): the API's Tracer and Span contracts are implemented together, the span's state is the
// encoder's input, and each half alone would expose that state to the other.
import {
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context as apiContext,
  trace,
  type AttributeValue,
  type Attributes,
  type Context,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
} from '@opentelemetry/api';
import { isAttributeValue, isTracingSuppressed, type InstrumentationScope } from '@opentelemetry/core';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type IdGenerator, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';
import type { EventRecord, SpanRecord } from './otlp-protobuf.ts';

/** Where an ended, sampled span goes: span-queue.ts. */
export interface SpanSink {
  write(scope: InstrumentationScope, span: SpanRecord): void;
}

/** The SDK's span limits, read from the same variables with the same defaults. */
export interface SpanLimits {
  attributeCount: number;
  attributeValueLength: number;
  eventCount: number;
}

const envNumber = (env: NodeJS.ProcessEnv, ...names: string[]): number | undefined => {
  for (const name of names) {
    const value = Number(env[name]);
    if (env[name]?.trim() && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
};

export function spanLimitsFromEnv(env: NodeJS.ProcessEnv): SpanLimits {
  return {
    attributeCount: envNumber(env, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT') ?? 128,
    attributeValueLength: envNumber(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? Infinity,
    eventCount: envNumber(env, 'OTEL_SPAN_EVENT_COUNT_LIMIT') ?? 128,
  };
}

/** What AlwaysOn and AlwaysOff answer, without asking them. */
const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * The parentbased_* samplers samplerFromEnv builds: a child of a local span is sampled exactly when its parent is
 * (their localParentSampled/NotSampled are the SDK's defaults, AlwaysOn and AlwaysOff), so our tracer decides a
 * child of its own span without asking them (the sampler checks the parent's ids again, per attempt).
 */
const followsLocalParent = new WeakSet<Sampler>();
/** Those whose root is AlwaysOn or AlwaysOff: a span with no parent (most proxy requests) gets its constant answer. */
const rootAnswer = new WeakMap<Sampler, SamplingResult>();

function parentBased(root: Sampler): Sampler {
  const sampler = new ParentBasedSampler({ root });
  followsLocalParent.add(sampler);
  if (root instanceof AlwaysOnSampler) rootAnswer.set(sampler, SAMPLED);
  else if (root instanceof AlwaysOffSampler) rootAnswer.set(sampler, NOT_SAMPLED);
  return sampler;
}

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as the SDK reads them, built from the SDK's own samplers. */
export function samplerFromEnv(env: NodeJS.ProcessEnv, warn: (message: string) => void): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on';
  const ratio = (): number => {
    const value = envNumber(env, 'OTEL_TRACES_SAMPLER_ARG');
    if (value !== undefined && value <= 1) return value;
    warn(`OTEL_TRACES_SAMPLER_ARG "${env.OTEL_TRACES_SAMPLER_ARG ?? ''}" is not a ratio between 0 and 1: sampling every trace`);
    return 1;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_on':
      return parentBased(new AlwaysOnSampler());
    case 'parentbased_always_off':
      return parentBased(new AlwaysOffSampler());
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_traceidratio':
      return parentBased(new TraceIdRatioBasedSampler(ratio()));
    default:
      warn(`OTEL_TRACES_SAMPLER "${env.OTEL_TRACES_SAMPLER}" is not supported (use always_on, always_off, traceidratio or their parentbased_ forms): sampling as parentbased_always_on`);
      return parentBased(new AlwaysOnSampler());
  }
}

// A time converted by setTime() lands here: two numbers, no array per timestamp.
let timeSeconds = 0;
let timeNanos = 0;

/** Epoch milliseconds as the SDK splits them (millisToHrTime). */
function setMillis(ms: number): void {
  timeSeconds = Math.trunc(ms / 1000);
  timeNanos = Math.round((ms % 1000) * 1e6);
}

/** A TimeInput as the SDK reads it: an HrTime, a Date, epoch milliseconds, or a performance.now() reading. */
function setTime(input: TimeInput): void {
  if (Array.isArray(input)) {
    timeSeconds = input[0];
    timeNanos = input[1];
  } else if (input instanceof Date) setMillis(input.getTime());
  else {
    const now = performance.now();
    setMillis(input <= now ? input + Date.now() - now : input);
  }
}

/** The context of a span this tracer started: its trace id a valid parent's or the id generator's, its span id the generator's. */
class OwnSpanContext implements SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState: SpanContext['traceState'];

  constructor(traceId: string, spanId: string, traceFlags: number, traceState: SpanContext['traceState']) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.traceFlags = traceFlags;
    this.traceState = traceState;
  }
}

const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS: Link[] = [];

class EncodingSpan implements Span, SpanRecord {
  readonly context: SpanContext;
  readonly parentSpanId: string | undefined;
  readonly parentRemote: boolean;
  name: string;
  readonly kind: SpanKind;
  readonly startSeconds: number;
  readonly startNanos: number;
  endSeconds = 0;
  endNanos = 0;
  attributes: Attributes = {};
  /** A frozen set given to setAttributes first, kept by reference: its KeyValues are written from cached bytes. */
  baseAttributes: Attributes | undefined = undefined;
  droppedAttributesCount = 0;
  events: EventRecord[] | undefined = undefined;
  droppedEventsCount = 0;
  readonly links: readonly Link[] | undefined;
  readonly droppedLinksCount = 0;
  statusCode: SpanStatusCode = SpanStatusCode.UNSET;
  statusMessage: string | undefined = undefined;
  readonly #tracer: EncodingTracer;
  /** performance.now() at the start, for the end's duration; NaN when the start time was given. */
  readonly #startedAt: number;
  #attributeCount = 0;
  #ended = false;

  constructor(tracer: EncodingTracer, context: SpanContext, parent: SpanContext | undefined, name: string, kind: SpanKind, startTime: TimeInput | undefined, links: Link[] | undefined) {
    this.#tracer = tracer;
    this.context = context;
    this.parentSpanId = parent?.spanId;
    this.parentRemote = parent?.isRemote === true;
    this.name = name;
    this.kind = kind;
    this.links = links;
    if (startTime === undefined) {
      // As the SDK: the wall clock at the start, the end measured from it on the monotonic clock.
      this.#startedAt = performance.now();
      setMillis(Date.now());
    } else {
      this.#startedAt = NaN;
      setTime(startTime);
    }
    this.startSeconds = timeSeconds;
    this.startNanos = timeNanos;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.#ended || !validAttribute(key, value)) return this;
    if (this.baseAttributes !== undefined && Object.hasOwn(this.baseAttributes, key)) this.#ownBase();
    const attributes = this.attributes;
    if (!Object.hasOwn(attributes, key)) {
      if (this.#attributeCount >= this.#tracer.limits.attributeCount) {
        this.droppedAttributesCount += 1;
        return this;
      }
      this.#attributeCount += 1;
    }
    attributes[key] = this.#tracer.limits.attributeValueLength === Infinity ? value : truncated(value, this.#tracer.limits.attributeValueLength);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    // A frozen set cannot change after this call: keeping it is as good as copying it (a proxy's attempts all
    // start with their deployment's frozen set).
    if (this.#attributeCount === 0 && this.baseAttributes === undefined && !this.#ended && Object.isFrozen(attributes) && this.#tracer.limits.attributeValueLength === Infinity) {
      const size = keptSize(attributes);
      if (size !== undefined && size <= this.#tracer.limits.attributeCount) {
        this.baseAttributes = attributes;
        this.#attributeCount = size;
        return this;
      }
    }
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  /** A key of the kept set is set again: the set becomes the span's own attributes, in their order. */
  #ownBase(): void {
    this.attributes = { ...this.baseAttributes, ...this.attributes };
    this.baseAttributes = undefined;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.#ended) return this;
    const isTime = Array.isArray(attributesOrTime) || typeof attributesOrTime === 'number' || attributesOrTime instanceof Date;
    const at = isTime ? (time ?? (attributesOrTime as TimeInput)) : time;
    if (at === undefined) setMillis(Date.now());
    else setTime(at);
    const limit = this.#tracer.limits.eventCount;
    const events = (this.events ??= []);
    if (events.length >= limit) {
      this.droppedEventsCount += 1;
      if (limit === 0) return this;
      events.shift(); // as the SDK: the oldest gives way
    }
    events.push({ name, seconds: timeSeconds, nanos: timeNanos, attributes: isTime || !attributesOrTime ? undefined : { ...(attributesOrTime as Attributes) } });
    return this;
  }

  /** Links are taken at the start only (SpanOptions.links), as the SDK samples them. */
  addLink(): this {
    return this;
  }

  addLinks(): this {
    return this;
  }

  setStatus(status: SpanStatus): this {
    // As the SDK: UNSET changes nothing, OK is final, a message belongs to an error only.
    if (this.#ended || status.code === SpanStatusCode.UNSET || this.statusCode === SpanStatusCode.OK) return this;
    this.statusCode = status.code;
    this.statusMessage = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? status.message : undefined;
    return this;
  }

  updateName(name: string): this {
    if (!this.#ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.#ended) return;
    this.#ended = true;
    // A performance.now() reading (an end told after the fact) is measured from the start, as an end now is.
    const told = typeof endTime === 'number' && !Number.isNaN(this.#startedAt) && endTime <= performance.now() ? endTime : undefined;
    if (endTime !== undefined && told === undefined) setTime(endTime);
    else if (Number.isNaN(this.#startedAt)) setMillis(Date.now());
    else {
      const nanos = this.startNanos + Math.round(((told ?? performance.now()) - this.#startedAt) * 1e6);
      timeSeconds = this.startSeconds + Math.floor(nanos / 1e9);
      timeNanos = nanos % 1e9;
    }
    // An end before the start is a zero-length span, as the SDK makes it.
    if (timeSeconds < this.startSeconds || (timeSeconds === this.startSeconds && timeNanos < this.startNanos)) {
      timeSeconds = this.startSeconds;
      timeNanos = this.startNanos;
    }
    this.endSeconds = timeSeconds;
    this.endNanos = timeNanos;
    if (this.context.traceFlags & TraceFlags.SAMPLED) this.#tracer.ended(this);
  }

  isRecording(): boolean {
    return !this.#ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else {
      const type = exception.code ?? exception.name;
      if (type !== undefined) attributes['exception.type'] = String(type);
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined) this.addEvent('exception', attributes, time);
  }
}

const validAttribute = (key: string, value: AttributeValue | null | undefined): value is AttributeValue =>
  value !== undefined && value !== null && key.length > 0 && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || isAttributeValue(value));

const keptSizes = new WeakMap<Attributes, number | undefined>();

/** A frozen set's size when a span would keep every attribute in it as given, else undefined (remembered per set). */
function keptSize(attributes: Attributes): number | undefined {
  if (keptSizes.has(attributes)) return keptSizes.get(attributes);
  let size: number | undefined = 0;
  for (const key in attributes) size = size !== undefined && validAttribute(key, attributes[key]) ? size + 1 : undefined;
  keptSizes.set(attributes, size);
  return size;
}

function truncated(value: AttributeValue, limit: number): AttributeValue {
  if (typeof value === 'string') return value.length > limit ? value.slice(0, limit) : value;
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' && item.length > limit ? item.slice(0, limit) : item)) as AttributeValue;
  return value;
}

export interface EncodingTracerOptions {
  sampler: Sampler;
  idGenerator: IdGenerator;
  limits: SpanLimits;
  sink: SpanSink;
}

export class EncodingTracer implements Tracer {
  readonly limits: SpanLimits;
  readonly #scope: InstrumentationScope;
  readonly #options: EncodingTracerOptions;
  readonly #followsLocalParent: boolean;
  readonly #rootAnswer: SamplingResult | undefined;

  constructor(scope: InstrumentationScope, options: EncodingTracerOptions) {
    this.#scope = scope;
    this.#options = options;
    this.limits = options.limits;
    this.#followsLocalParent = followsLocalParent.has(options.sampler);
    this.#rootAnswer = rootAnswer.get(options.sampler);
  }

  startSpan(name: string, options: SpanOptions = {}, context: Context = apiContext.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    if (isTracingSuppressed(context)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = trace.getSpanContext(context);
    // A span of ours as the parent (a proxy request's attempts) has ids already valid: not checked again per child.
    const valid = parent !== undefined && (parent instanceof OwnSpanContext || trace.isSpanContextValid(parent));
    const ids = this.#options.idGenerator;
    const spanId = ids.generateSpanId(); // before the trace id, as the SDK asks for them
    const traceId = valid ? parent.traceId : ids.generateTraceId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links = options.links?.length ? options.links.map((link) => ({ context: link.context, ...(link.attributes ? { attributes: { ...link.attributes } } : {}) })) : undefined;
    const sampling = this.#sample(parent, valid, context, traceId, name, kind, options.attributes, links);
    const flags = sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
    const spanContext = new OwnSpanContext(traceId, spanId, flags, sampling.traceState ?? (valid ? parent.traceState : undefined));
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new EncodingSpan(this, spanContext, valid ? parent : undefined, name, kind, options.startTime, links);
    if (options.attributes) span.setAttributes(options.attributes);
    if (sampling.attributes) span.setAttributes(sampling.attributes);
    return span;
  }

  #sample(parent: SpanContext | undefined, valid: boolean, context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes | undefined, links: Link[] | undefined): SamplingResult {
    if (this.#followsLocalParent && parent instanceof OwnSpanContext) return parent.traceFlags & TraceFlags.SAMPLED ? SAMPLED : NOT_SAMPLED;
    if (!valid && this.#rootAnswer) return this.#rootAnswer;
    return this.#options.sampler.shouldSample(context, traceId, name, kind, attributes ?? EMPTY_ATTRIBUTES, links ?? NO_LINKS);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = rest[rest.length - 1] as (span: Span) => ReturnType<F>;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : apiContext.active();
    const span = this.startSpan(name, options, parent);
    return apiContext.with(trace.setSpan(parent, span), fn, undefined, span);
  }

  /** A sampled span has ended: its bytes go to the queue and the span object is free. */
  ended(span: EncodingSpan): void {
    this.#options.sink.write(this.#scope, span);
  }
}
