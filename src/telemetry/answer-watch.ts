// What a trace learns of an answer's body as it passes to whoever reads it (the proxy's client, a batch line, the
// CLI's printer): the time of its first chunk, its usage (the answering provider's own reader, as the request log
// reads it), the model that answered and (opted in) its text. The request log's observer, when one reads the answer,
// tells the trace what it found (an AnswerFollower is its BodyFollower): one listener and one usage reading serve
// both. Without one, the trace reads the answer itself, beside its reader (no stage in between).
import { usageCounter, type UsageCounter } from '../accounting/usage-tap.ts';
import { UNKNOWN_USAGE, type Usage } from '../accounting/usage.ts';
import type { BodyFollower, BodyTap } from '../accounting/observe.ts';
import type { UsageReader } from '../providers/types.ts';
import { followBody } from '../transport/follow-body.ts';
import { replyHeader } from '../transport/reply.ts';
import type { UpstreamReply } from '../core/reply.ts';

/** Captured body text (opt-in) is cut here. */
export const MAX_CAPTURED_CHARS = 16 * 1024;

export interface AnswerSummary {
  usage: Usage;
  /** The model the answer named first. */
  responseModel: string | undefined;
  /** performance.now() of the first body chunk. */
  firstChunkAt: number | undefined;
  /** performance.now() of the body's end. */
  endedAt: number;
  streamed: boolean;
  /** The body's text, cut at MAX_CAPTURED_CHARS, when capture is on. */
  text: string | undefined;
  failed: boolean;
}

export type AnswerDone = (summary: AnswerSummary) => void;

const SSE = /text\/event-stream/i;

/** The trace's side of an answer: told its chunks (only when capturing its text), then what was read of it. */
export class AnswerFollower implements BodyFollower {
  readonly see: ((chunk: Buffer) => void) | undefined;
  readonly #streamed: boolean;
  readonly #done: AnswerDone;
  #captured = '';
  #decoder: TextDecoder | undefined;
  #finished = false;

  constructor(reply: UpstreamReply, capture: boolean, done: AnswerDone) {
    this.#streamed = SSE.test(replyHeader(reply, 'content-type') ?? '');
    this.#done = done;
    this.see = capture ? (bytes) => this.#capture(bytes) : undefined;
  }

  #capture(bytes: Buffer): void {
    if (this.#captured.length >= MAX_CAPTURED_CHARS) return;
    const text = (this.#decoder ??= new TextDecoder()).decode(bytes, { stream: true });
    this.#captured += text.slice(0, MAX_CAPTURED_CHARS - this.#captured.length);
  }

  done(usage: Usage, model: string | undefined, firstChunkAt: number | undefined, failed: boolean, endedAt: number): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#done({ usage, responseModel: model, firstChunkAt, endedAt, streamed: this.#streamed, text: this.see ? this.#captured : undefined, failed });
  }
}

/** The trace's own reading of an answer no observer reads: its chunks counted, then the follower told. */
class AnswerReader {
  readonly #follower: BodyFollower;
  readonly #counter: UsageCounter | undefined;
  #firstChunkAt: number | undefined;
  #finished = false;

  constructor(reply: UpstreamReply, reader: UsageReader | undefined, follower: BodyFollower) {
    this.#follower = follower;
    // Only a successful answer reports usage; an error's body is searched for its model alone.
    this.#counter = usageCounter(reply, reply.status < 300 ? reader : undefined, true);
  }

  /** A listener (`this` bound once): Node calls it with each chunk as the body's reader gets it. */
  readonly see = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    this.#firstChunkAt ??= performance.now();
    this.#counter?.push(bytes);
    this.#follower.see?.(bytes);
  };

  finish(failed: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    const counter = this.#counter;
    const usage = counter?.end() ?? UNKNOWN_USAGE;
    this.#follower.done(usage, counter?.model, this.#firstChunkAt, failed, performance.now());
  }
}

/**
 * Follows an answer no observer reads, as its reader (attached, or yet to come) reads it: `follower` is told once the
 * body has ended or been cut short.
 */
export function followAnswer(reply: UpstreamReply, usage: UsageReader | undefined, follower: BodyFollower): void {
  const reader = new AnswerReader(reply, usage, follower);
  followBody(reply.body, reader.see, (how) => reader.finish(how !== 'ended'));
}

/**
 * Reads an answer no observer reads through the relay that passes it on (the proxy's): the relay tells each chunk
 * and the end, so the trace adds no listener to the body.
 */
export function tapAnswer(reply: UpstreamReply, usage: UsageReader | undefined, follower: BodyFollower): BodyTap {
  const reader = new AnswerReader(reply, usage, follower);
  const body = reply.body;
  return { see: reader.see, closed: () => reader.finish(!body.readableEnded) };
}
