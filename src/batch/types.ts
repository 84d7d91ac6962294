import type { UpstreamReply } from '../core/reply.ts';
import type { RouterEvent, RouterPassthroughOptions } from '../router/call.ts';

/**
 * What the batch engine needs of the Router: one call sent with its routing (load balancing, retries, cooldowns,
 * fallbacks). `Router` is one; the engine knows nothing else of it.
 */
export interface CallSender {
  send(options: RouterPassthroughOptions): Promise<UpstreamReply>;
}

/** Why a line failed: the upstream's status, or the error's stable code, and a message a person can act on. */
export interface BatchError {
  /** The upstream's answer, when it answered with something other than 2xx. */
  status?: number;
  /** An llmpass error code (`LLMPASS_NETWORK`, `LLMPASS_TIMEOUT`, `LLMPASS_ABORTED`, `LLMPASS_INVALID_JSON`...). */
  code?: string;
  message: string;
}

/** A 2xx answer; `body` is the parsed JSON (the text when it is not JSON, null when empty). */
export interface BatchAnswer {
  line: number;
  status: number;
  body: unknown;
}

export interface BatchFailure {
  line: number;
  error: BatchError;
}

export type BatchResult = BatchAnswer | BatchFailure;

/** One input of the batch: a payload with its line number, or a line already known to fail (unparseable). */
export type BatchInput = { line: number; payload: unknown } | { line: number; error: BatchError };

export type BatchEvent =
  /** The in-flight window changed: slowed by an overloaded answer, or grown back. */
  | { type: 'window'; limit: number; max: number; pauseMs: number }
  /** A routing event of one line's call (attempts, retries, cooldowns, fallbacks). */
  | (RouterEvent & { line: number });

/** The request every payload is sent with (the payload goes in as its JSON body), plus how the batch runs. */
export interface BatchOptions
  extends Omit<RouterPassthroughOptions, 'json' | 'body' | 'bodyLength' | 'signal' | 'onEvent'> {
  /** Requests in flight at most, across the deployments of the alias; 16 when unset. */
  concurrency?: number | undefined;
  /** Results in input order (the default), or as they finish (false). */
  ordered?: boolean | undefined;
  /** Stops reading payloads: requests in flight finish and their results are still given. */
  stop?: AbortSignal | undefined;
  /** Aborts requests in flight (their lines fail with `LLMPASS_ABORTED`) and stops reading. */
  signal?: AbortSignal | undefined;
  /** The longest pause a `Retry-After` may impose on the whole batch, in milliseconds; 60 000 when unset. */
  maxPauseMs?: number | undefined;
  onEvent?: ((event: BatchEvent) => void) | undefined;
  /** Each line's answer as its body starts to be read, for a listener to watch it pass (telemetry). */
  onAnswer?: ((line: number, reply: UpstreamReply) => void) | undefined;
}

export const DEFAULT_CONCURRENCY = 16;

export function isFailure(result: BatchResult): result is BatchFailure {
  return 'error' in result;
}
