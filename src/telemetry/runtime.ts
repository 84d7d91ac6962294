import type { Attributes, TextMapPropagator, Tracer } from '@opentelemetry/api';

/** One attempt's metric attributes, built once and reused by every attempt alike (the SDK keeps what it is given). */
export interface MetricSet {
  plain: Attributes;
  /** `plain` with the input and output token types, for the token histogram. */
  input: Attributes;
  output: Attributes;
}

/** GenAI client metrics, recorded per upstream attempt. */
export interface GenAiMetrics {
  duration(seconds: number, set: MetricSet): void;
  tokens(input: number | undefined, output: number | undefined, set: MetricSet): void;
  firstChunk(seconds: number, set: MetricSet): void;
}

/** What a trace needs of the running SDK. */
export interface TraceRuntime {
  tracer: Tracer;
  propagator: TextMapPropagator;
  captureContent: boolean;
  metrics: GenAiMetrics | undefined;
}
