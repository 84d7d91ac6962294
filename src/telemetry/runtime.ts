import type { Attributes, TextMapPropagator, Tracer } from '@opentelemetry/api';

/** GenAI client metrics, recorded per upstream attempt. */
export interface GenAiMetrics {
  duration(seconds: number, attributes: Attributes): void;
  tokens(input: number | undefined, output: number | undefined, attributes: Attributes): void;
  firstChunk(seconds: number, attributes: Attributes): void;
}

/** What a trace needs of the running SDK. */
export interface TraceRuntime {
  tracer: Tracer;
  propagator: TextMapPropagator;
  captureContent: boolean;
  metrics: GenAiMetrics | undefined;
}
