// Watches an answer's body as it passes to whoever reads it (the proxy's client, a batch line, the CLI's printer):
// the time of its first chunk, its usage (read by the answering provider's own reader, as the request log reads it)
// and the model that answered, and (opted in) its text. Nothing is buffered beyond what is read. A reader already
// attached is joined by a 'data' listener (no stream in between: the proxy's hot path); a reader yet to come gets a
// pass-through stage.
import { Transform, type Readable } from 'node:stream';
import { usageCounter, type UsageCounter } from '../accounting/usage-tap.ts';
import type { UsageReader } from '../providers/types.ts';
import { replyHeader } from '../transport/reply.ts';
import type { UpstreamReply } from '../core/reply.ts';
import type { GenAiUsage } from './usage.ts';

/** A JSON answer larger than this is not searched for its model. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** Captured body text (opt-in) is cut here. */
export const MAX_CAPTURED_CHARS = 16 * 1024;

export interface AnswerSummary {
  usage: GenAiUsage;
  /** performance.now() of the first body chunk. */
  firstChunkAt: number | undefined;
  streamed: boolean;
  /** The body's text, cut at MAX_CAPTURED_CHARS, when capture is on. */
  text: string | undefined;
  failed: boolean;
}

export type AnswerDone = (summary: AnswerSummary) => void;

const SSE = /text\/event-stream/i;
const JSON_TYPE = /json/i;
/** The first `"model": "..."` of a text: the answering model (OpenAI's top level, Anthropic's message_start). */
const MODEL = /"model"\s*:\s*("(?:[^"\\]|\\.)*")/;

function modelIn(text: string): string | undefined {
  const found = MODEL.exec(text);
  if (!found) return undefined;
  try {
    const model: unknown = JSON.parse(found[1]!);
    return typeof model === 'string' && model ? model : undefined;
  } catch {
    return undefined;
  }
}

/** The parsing side of a watch: fed chunks, then told how the body ended. */
class AnswerReader {
  readonly #summary: AnswerSummary;
  readonly #json: boolean;
  readonly #capture: boolean;
  readonly #done: AnswerDone;
  readonly #usage: UsageCounter | undefined;
  #jsonChunks: Buffer[] | undefined;
  #jsonBytes = 0;
  #pending = '';
  #captured = '';
  #decoder: TextDecoder | undefined;
  #finished = false;

  constructor(reply: UpstreamReply, reader: UsageReader | undefined, capture: boolean, done: AnswerDone) {
    const contentType = replyHeader(reply, 'content-type') ?? '';
    const streamed = SSE.test(contentType);
    this.#json = !streamed && JSON_TYPE.test(contentType);
    this.#capture = capture;
    this.#done = done;
    // Only a successful answer reports usage; an error's body is not read for it.
    this.#usage = reply.status < 300 ? usageCounter(reply, reader) : undefined;
    this.#summary = { usage: {}, firstChunkAt: undefined, streamed, text: undefined, failed: false };
  }

  /** A listener (`this` bound once): Node calls it with each chunk as the body's reader gets it. */
  readonly see = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    const summary = this.#summary;
    summary.firstChunkAt ??= performance.now();
    this.#usage?.push(bytes);
    if (this.#json) {
      this.#jsonBytes += bytes.length;
      if (this.#jsonBytes <= MAX_JSON_BYTES) (this.#jsonChunks ??= []).push(bytes);
    }
    if (summary.streamed || this.#capture) {
      const text = (this.#decoder ??= new TextDecoder()).decode(bytes, { stream: true });
      if (this.#capture && this.#captured.length < MAX_CAPTURED_CHARS) this.#captured += text.slice(0, MAX_CAPTURED_CHARS - this.#captured.length);
      if (summary.streamed && summary.usage.responseModel === undefined) {
        const lines = (this.#pending + text).split('\n');
        this.#pending = lines.pop() ?? '';
        for (const line of lines) this.#sseLine(line);
      }
    }
  };

  /** The first event that names a model names the one answering. */
  #sseLine(line: string): void {
    if (this.#summary.usage.responseModel !== undefined || !line.startsWith('data:') || !line.includes('"model"')) return;
    this.#summary.usage.responseModel = modelIn(line);
  }

  finish(failed: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    const summary = this.#summary;
    if (summary.streamed && this.#pending) this.#sseLine(this.#pending);
    const chunks = this.#jsonChunks;
    if (chunks && this.#jsonBytes <= MAX_JSON_BYTES) {
      summary.usage.responseModel = modelIn((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'));
    }
    const usage = this.#usage?.end();
    if (usage) {
      summary.usage.inputTokens = usage.input;
      summary.usage.outputTokens = usage.output;
      summary.usage.cacheReadTokens = usage.cacheRead;
      summary.usage.cacheCreationTokens = usage.cacheWrite;
    }
    summary.failed = failed;
    if (this.#capture) summary.text = this.#captured;
    this.#done(summary);
  }
}

/**
 * Joins the reader already attached to `body` (a pipe, a 'data' listener): chunks are seen as they pass to it,
 * `done` once the body has ended or been cut short. Attached before any reader, it would start the flow itself.
 */
export function listenToAnswer(reply: UpstreamReply, usage: UsageReader | undefined, capture: boolean, done: AnswerDone): void {
  const reader = new AnswerReader(reply, usage, capture, done);
  const body: Readable = reply.body;
  body.on('data', reader.see);
  // 'end' first: the proxy ends the request's trace at its response's close, which can come before the body's.
  body.once('end', () => reader.finish(false));
  body.once('close', () => reader.finish(!body.readableEnded));
}

/**
 * The same reply, its body passed through a stage that watches it, for a reader yet to come (the CLI's printer
 * looks at the answer before reading it); `done` once it has ended or been cut short.
 */
export function watchAnswer(reply: UpstreamReply, usage: UsageReader | undefined, capture: boolean, done: AnswerDone): UpstreamReply {
  const reader = new AnswerReader(reply, usage, capture, done);
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      reader.see(chunk);
      callback(null, chunk);
    },
  });
  // Errors both ways by hand, as tapUsage does (stream.pipeline costs an AbortController per answer).
  const body = reply.body;
  body.once('error', (error) => tap.destroy(error));
  tap.once('close', () => {
    if (!body.readableEnded) body.destroy();
    reader.finish(!tap.readableEnded);
  });
  body.pipe(tap);
  return { ...reply, body: tap };
}
