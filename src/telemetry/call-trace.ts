// The spans of one traced unit: its own span (SERVER for a proxy request, INTERNAL for a `call` or a batch line)
// and a CLIENT span per upstream attempt, driven by the Router's events. Retries, fallbacks and cooldowns show
// as siblings under the unit's span, each saying why it happened.
import { SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
} from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
} from '@opentelemetry/semantic-conventions/incubating';
import type { RouterEvent } from '../router/router.ts';
import type { UpstreamRequest } from '../core/request.ts';
import type { UpstreamReply } from '../core/reply.ts';
import type { UsageReader } from '../providers/types.ts';
import type { BodyFollower, BodyTap } from '../accounting/observe.ts';
import type { CallOutcome, CallTrace } from './index.ts';
import { AnswerFollower, followAnswer, MAX_CAPTURED_CHARS, tapAnswer, type AnswerSummary } from './answer-watch.ts';
import { MetricTarget } from './metric-sets.ts';
import { attemptConstants, firstAttemptAttributes } from './attempt-attributes.ts';
import type { TraceRuntime } from './runtime.ts';
import { withSpan } from './parent-context.ts';

interface Attempt {
  span: Span;
  started: number;
  /** Where its metrics go (low cardinality attribute sets, cached); undefined while metrics are off. */
  metric: MetricTarget | undefined;
  /** How it ended, for its metrics: an error type, the model that answered. */
  errorType: string | undefined;
  responseModel: string | undefined;
  answered: boolean;
  watching: boolean;
  /** The answering provider's usage reader. */
  usage: UsageReader | undefined;
}

type AttemptEvent = Extract<RouterEvent, { type: 'attempt' }>;

const CLIENT_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.CLIENT });

/** The request body's text when it is in memory and capture is on; a stream is never read for it. */
function requestText(request: UpstreamRequest): string | undefined {
  const body = request.body;
  if (body?.kind !== 'bytes') return undefined;
  return Buffer.from(body.bytes.buffer, body.bytes.byteOffset, Math.min(body.bytes.byteLength, MAX_CAPTURED_CHARS * 4)).toString('utf8').slice(0, MAX_CAPTURED_CHARS);
}

/** `messages` (OpenAI, Anthropic) or `choices` as the GenAI message attributes; any other body as text. */
function contentAttribute(text: string, messageKey: 'messages' | 'choices'): [string, string] {
  try {
    const value = (JSON.parse(text) as Record<string, unknown>)[messageKey];
    if (Array.isArray(value)) return [messageKey === 'messages' ? ATTR_GEN_AI_INPUT_MESSAGES : ATTR_GEN_AI_OUTPUT_MESSAGES, JSON.stringify(value)];
  } catch {
    // cut short or not JSON: kept as text
  }
  return [messageKey === 'messages' ? 'llmpass.request.body' : 'llmpass.response.body', text];
}

export class OtelCallTrace implements CallTrace {
  readonly #runtime: TraceRuntime;
  readonly #span: Span;
  readonly #parent: Context;
  readonly #kind: 'server' | 'internal';
  readonly #method: string | undefined;
  #attempt: Attempt | undefined;
  /** Why the next attempt happens: a retry's reason, a fallback. */
  #why = 'first';
  #fallbackFrom: string | undefined;
  #ended = false;

  /** `method` names a server span once its route is known (`POST /openai`). */
  constructor(runtime: TraceRuntime, span: Span, parent: Context, method?: string) {
    this.#runtime = runtime;
    this.#span = span;
    this.#parent = withSpan(parent, span);
    this.#kind = method === undefined ? 'internal' : 'server';
    this.#method = method;
  }

  onEvent(event: RouterEvent): void {
    switch (event.type) {
      case 'attempt':
        return this.#startAttempt(event);
      case 'retry': {
        const errorType = event.status === undefined ? 'connection_error' : String(event.status);
        this.#endAttempt(errorType, event.reason, { 'llmpass.retry.delay_ms': event.delayMs });
        this.#why = `retry after ${event.reason}`;
        return;
      }
      case 'cooldown':
        // From now on the deployment is skipped, for cooldown_time.
        return this.#mark(`cooldown ${event.deployment.id}`, event.deployment.id, 'llmpass.cooldown.reason', 'allowed_fails reached: skipped until cooldown_time passes');
      case 'skip':
        return this.#mark(`skip ${event.deployment.id}`, event.deployment.id, 'llmpass.skip.reason', event.reason);
      case 'fallback':
        this.#fallbackFrom = event.from;
        this.#why = `fallback from "${event.from}" to "${event.to}"`;
        return;
      case 'answered': {
        const attempt = this.#attempt;
        if (!attempt) return;
        attempt.answered = true;
        attempt.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, event.status);
        if (event.status >= 400) {
          attempt.errorType = String(event.status);
          attempt.span.setAttribute(ATTR_ERROR_TYPE, attempt.errorType);
          attempt.span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${event.status}` });
        }
      }
    }
  }

  /** A zero-length sibling of the attempts: something the Router did to a deployment, and why. */
  #mark(name: string, deployment: string, reasonKey: string, reason: string): void {
    const at = Date.now();
    this.#runtime.tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: at, attributes: { 'llmpass.deployment': deployment, [reasonKey]: reason } }, this.#parent).end(at);
  }

  #startAttempt(event: AttemptEvent): void {
    // An answered attempt (a 5xx before a fallback) keeps the status it has; an unanswered one simply failed.
    this.#endAttempt(this.#attempt?.answered ? undefined : '_OTHER', 'superseded');
    const { deployment, request } = event;
    const constants = attemptConstants(deployment, request.url);
    // Attributes after the start: the SDK checks and copies them once so, three times when given to startSpan. A
    // request the sampler left out (a non-recording span) gets none built at all.
    const span = this.#runtime.tracer.startSpan(constants.spanName, CLIENT_SPAN, this.#parent);
    if (span.isRecording()) {
      if (event.attempt === 0 && this.#why === 'first') span.setAttributes(firstAttemptAttributes(constants, request.method));
      else {
        span.setAttributes(constants.attributes);
        span.setAttribute(ATTR_HTTP_REQUEST_METHOD, request.method);
        span.setAttribute('llmpass.attempt', event.attempt);
        span.setAttribute('llmpass.attempt.reason', this.#why);
      }
      if (this.#fallbackFrom !== undefined) span.setAttribute('llmpass.fallback.from', this.#fallbackFrom);
      if (this.#runtime.captureContent) {
        const text = requestText(request);
        if (text !== undefined) span.setAttribute(...contentAttribute(text, 'messages'));
      }
    }
    const metric = this.#runtime.metrics ? (constants.metric ??= new MetricTarget(constants.metricBase)) : undefined;
    this.#attempt = { span, started: performance.now(), metric, errorType: undefined, responseModel: undefined, answered: false, watching: false, usage: deployment.provider.usage };
    // The upstream joins this trace: the attempt's traceparent replaces any the client sent.
    // A recording span's ids are the SDK's own, valid: only a no-op span's need checking.
    // Written here as the W3C propagator would: its inject builds a context per call to read the span back.
    const context = span.spanContext();
    if (span.isRecording() || trace.isSpanContextValid(context)) {
      request.headers.set('traceparent', `00-${context.traceId}-${context.spanId}-0${(context.traceFlags & TraceFlags.SAMPLED).toString(16)}`);
      const state = context.traceState?.serialize();
      if (state) request.headers.set('tracestate', state);
      else request.headers.delete('tracestate');
    }
  }

  readonly follower = (reply: UpstreamReply): BodyFollower | undefined => {
    const attempt = this.#watchable();
    return attempt && new AnswerFollower(reply, this.#runtime.captureContent, (summary) => this.#answerDone(attempt, summary));
  };

  watch(reply: UpstreamReply): void {
    const usage = this.#attempt?.usage;
    const follower = this.follower(reply);
    if (follower) followAnswer(reply, usage, follower);
  }

  tap(reply: UpstreamReply): BodyTap | undefined {
    const usage = this.#attempt?.usage;
    const follower = this.follower(reply);
    return follower && tapAnswer(reply, usage, follower);
  }

  /** The open attempt, now watched, unless its answer is already or nothing would record what it says. */
  #watchable(): Attempt | undefined {
    const attempt = this.#attempt;
    if (!attempt || attempt.watching || (!attempt.metric && !attempt.span.isRecording())) return undefined;
    attempt.watching = true;
    return attempt;
  }

  #answerDone(attempt: Attempt, summary: AnswerSummary): void {
    if (this.#attempt !== attempt) return;
    const { span } = attempt;
    const { usage, responseModel } = summary;
    // One call each, no object built per answer; the span leaves out what the answer did not carry.
    if (usage.input !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, usage.input);
    if (usage.output !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, usage.output);
    if (usage.cacheRead !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cacheRead);
    if (usage.cacheWrite !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cacheWrite);
    if (responseModel !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, responseModel);
    attempt.responseModel = responseModel;
    const metrics = this.#runtime.metrics;
    // A call's or a batch line's span says when any answer began (a whole JSON body too: how long the upstream
    // took); the proxy's, on its hot path, and the metric (streaming only, by the convention) when streamed.
    if (summary.firstChunkAt !== undefined && (summary.streamed || this.#kind === 'internal')) {
      const seconds = (summary.firstChunkAt - attempt.started) / 1000;
      span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, seconds);
      span.addEvent('gen_ai.first_chunk', { [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: seconds });
      if (summary.streamed && metrics && attempt.metric) metrics.firstChunk(seconds, attempt.metric.set(attempt.errorType, attempt.responseModel));
    }
    if (summary.text !== undefined) {
      const [key, value] = contentAttribute(summary.text, 'choices');
      span.setAttribute(key, value);
    }
    if (metrics && attempt.metric && (usage.input !== undefined || usage.output !== undefined)) {
      metrics.tokens(usage.input, usage.output, attempt.metric.set(attempt.errorType, attempt.responseModel));
    }
    if (summary.failed) this.#endAttempt('body_interrupted', 'the answer was cut short', undefined, summary.endedAt);
    else this.#endAttempt(undefined, undefined, undefined, summary.endedAt);
  }

  /**
   * Ends the open attempt: `errorType` when it failed (an answered error keeps the status it has). `endedAt`: when it
   * ended (performance.now()), when told after the fact.
   */
  #endAttempt(errorType: string | undefined, message: string | undefined, attributes?: Attributes, endedAt = performance.now()): void {
    const attempt = this.#attempt;
    if (!attempt) return;
    this.#attempt = undefined;
    const span = attempt.span;
    if (attributes) span.setAttributes(attributes);
    if (errorType !== undefined) {
      attempt.errorType = errorType;
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    if (attempt.metric) this.#runtime.metrics?.duration((endedAt - attempt.started) / 1000, attempt.metric.set(attempt.errorType, attempt.responseModel));
    span.end(endedAt);
  }

  end(outcome: CallOutcome, endedAt = performance.now()): void {
    if (this.#ended) return;
    this.#ended = true;
    // An attempt still open here got no answer (the error is the call's) or its body never finished.
    const attempt = this.#attempt;
    if (attempt) {
      if (!attempt.answered) this.#endAttempt('_OTHER', outcome.error, undefined, endedAt);
      else this.#endAttempt(outcome.error === undefined ? undefined : 'body_interrupted', outcome.error, undefined, endedAt);
    }
    const span = this.#span;
    if (outcome.status > 0) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
    if (outcome.alias) span.setAttribute('llmpass.alias', outcome.alias);
    if (outcome.route) {
      // A server span's route is http.route's: the same value twice would be set, kept and sent on every request.
      if (this.#kind === 'server') {
        span.setAttribute(ATTR_HTTP_ROUTE, outcome.route);
        span.updateName(`${this.#method} ${outcome.route}`);
      } else span.setAttribute('llmpass.route', outcome.route);
    }
    // A server span is an error for a 5xx (the client's 4xx is not the server's fault); a call for any failure.
    const failed = this.#kind === 'server' ? outcome.status >= 500 : outcome.status >= 400 || outcome.status === 0 || outcome.error !== undefined;
    if (failed) {
      span.setAttribute(ATTR_ERROR_TYPE, outcome.status >= 400 ? String(outcome.status) : '_OTHER');
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
    }
    span.end(endedAt);
  }
}
