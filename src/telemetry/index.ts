// The one door to OpenTelemetry. Faces (proxy, call, batch) talk to a `Telemetry`; while no OTEL_* variable nor
// `litellm_settings.callbacks: ["otel"]` asks for it, that is NO_TELEMETRY and nothing of OpenTelemetry is loaded.
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/load.ts';
import type { RouterEvent } from '../router/router.ts';
import type { UpstreamReply } from '../core/reply.ts';
import type { BodyFollower, BodyTap } from '../accounting/observe.ts';
import { telemetrySettings, type TelemetryFace } from './settings.ts';

/** How a traced call ended for its caller: the proxy's RequestRecord fits. */
export interface CallOutcome {
  status: number;
  route?: string | undefined;
  alias?: string | undefined;
  error?: string | undefined;
}

/** One traced unit (a proxy request, a `call`, a batch line): router events drive a CLIENT span per attempt. */
export interface CallTrace {
  onEvent(event: RouterEvent): void;
  /** The answer, its body watched (usage, model, first chunk) beside its reader, attached or yet to come. */
  watch(reply: UpstreamReply): void;
  /** Instead of `watch`: the answer as a relay reads it, told each chunk and the end by the relay (no listener). */
  tap(reply: UpstreamReply): BodyTap | undefined;
  /**
   * The answer, read by the request log's observer: what to tell of it (undefined when the trace records nothing of
   * it). Instead of `watch`, not beside it: the observer's one reading serves both.
   */
  readonly follower: (reply: UpstreamReply) => BodyFollower | undefined;
  /** `endedAt`: when the unit ended (performance.now()), when told after the fact. */
  end(outcome: CallOutcome, endedAt?: number): void;
}

/** A `--jsonl` batch: one parent span, a child per line (opened by its first event, closed by its result). */
export interface BatchTrace {
  onEvent(event: RouterEvent & { line: number }): void;
  /** A line's answer, its body being read: its usage and first chunk go on the line's attempt. */
  answer(line: number, reply: UpstreamReply): void;
  lineDone(line: number, outcome: CallOutcome): void;
  /** `failedLines` and an interruption make the batch span an error. */
  end(failedLines: number, interrupted: boolean): void;
}

export interface Telemetry {
  readonly enabled: boolean;
  /** A proxy request (SERVER span), continuing the client's `traceparent`/`tracestate`. */
  serverRequest(method: string, headers: IncomingHttpHeaders): CallTrace;
  /** `llmpass call`. */
  call(model: string, endpoint: string): CallTrace;
  batch(model: string, endpoint: string): BatchTrace;
  /** Exports what is queued and stops, waiting at most `deadlineMs`: a collector away never holds up an exit. */
  shutdown(deadlineMs: number): Promise<void>;
  /** Spans lost to a full queue or a failed export. */
  dropped(): number;
}

const NO_TRACE: CallTrace = { onEvent() {}, watch() {}, tap: () => undefined, follower: () => undefined, end() {} };
const NO_BATCH: BatchTrace = { onEvent() {}, answer() {}, lineDone() {}, end() {} };

export const NO_TELEMETRY: Telemetry = {
  enabled: false,
  serverRequest: () => NO_TRACE,
  call: () => NO_TRACE,
  batch: () => NO_BATCH,
  shutdown: async () => undefined,
  dropped: () => 0,
};

export interface StartOptions {
  face: TelemetryFace;
  env?: NodeJS.ProcessEnv | undefined;
  /** One line about a telemetry problem (an unsupported protocol, spans dropped). */
  warn?: ((message: string) => void) | undefined;
}

/** NO_TELEMETRY unless the environment or the config turns tracing or metrics on; then the SDK, loaded now. */
export async function startTelemetry(config: Config, options: StartOptions): Promise<Telemetry> {
  const settings = telemetrySettings(config, options.env ?? process.env, options.face);
  if (!settings) return NO_TELEMETRY;
  const { startOtel } = await import('./otel.ts');
  return startOtel(settings, options.warn ?? (() => undefined));
}

/** The CLI's flush deadline: exporting never holds an exit code up by more than this. */
export const CLI_FLUSH_MS = 1000;

/** `call` and batches: telemetry whose problems are one warning line on stderr. */
export function startCliTelemetry(config: Config, bin: string): Promise<Telemetry> {
  return startTelemetry(config, { face: 'cli', warn: (message) => process.stderr.write(`${bin}: warning: ${message}\n`) });
}
