// Whether telemetry is on, read once from the standard OTEL_* variables and LiteLLM's `callbacks: ["otel"]`.
// This file imports nothing of OpenTelemetry: it decides whether the SDK is loaded at all.
import type { Config } from '../config/load.ts';

/** The proxy exports in the background; the CLI flushes before it exits, within a deadline. */
export type TelemetryFace = 'proxy' | 'cli';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TelemetrySettings {
  face: TelemetryFace;
  traces: { protocol: OtlpProtocol } | undefined;
  metrics: { protocol: OtlpProtocol } | undefined;
  serviceName: string;
  /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: request and response bodies on spans. */
  captureContent: boolean;
  warnings: string[];
}

const truthy = (value: string | undefined): boolean => value?.trim().toLowerCase() === 'true';
const set = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';

/** LiteLLM turns its OpenTelemetry logger on with `litellm_settings.callbacks: ["otel"]` (or success_callback). */
function otelCallback(config: Config): boolean {
  const settings = (config.raw.litellm_settings ?? {}) as Record<string, unknown>;
  return ['callbacks', 'success_callback'].some((key) => {
    const value = settings[key];
    const names = Array.isArray(value) ? value : [value];
    return names.some((name) => typeof name === 'string' && name.trim().toLowerCase() === 'otel');
  });
}

function protocolOf(value: string | undefined, signal: string, warnings: string[]): OtlpProtocol {
  const wanted = value?.trim().toLowerCase() || 'http/protobuf';
  if (wanted === 'http/protobuf' || wanted === 'http/json') return wanted;
  warnings.push(`OTEL_EXPORTER_OTLP_${signal}PROTOCOL "${value}" is not supported (use http/protobuf or http/json): sending http/protobuf`);
  return 'http/protobuf';
}

/** Undefined when neither traces nor metrics are asked for: then nothing of OpenTelemetry is loaded. */
export function telemetrySettings(config: Config, env: NodeJS.ProcessEnv, face: TelemetryFace): TelemetrySettings | undefined {
  if (truthy(env.OTEL_SDK_DISABLED)) return undefined;
  const generic = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const wantTraces = (generic || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || otelCallback(config)) && env.OTEL_TRACES_EXPORTER?.trim() !== 'none';
  const wantMetrics = (generic || set(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)) && env.OTEL_METRICS_EXPORTER?.trim() !== 'none';
  if (!wantTraces && !wantMetrics) return undefined;
  const warnings: string[] = [];
  return {
    face,
    traces: wantTraces ? { protocol: protocolOf(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL, 'TRACES_', warnings) } : undefined,
    metrics: wantMetrics ? { protocol: protocolOf(env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL, 'METRICS_', warnings) } : undefined,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'llmpass',
    captureContent: truthy(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT),
    warnings,
  };
}
