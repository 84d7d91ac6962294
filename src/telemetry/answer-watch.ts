// Watches an answer's body as it passes to whoever reads it (the proxy's client, the CLI's printer): the time of
// its first chunk, its usage and model, and (opted in) its text. Nothing is buffered beyond what is parsed.
import { Transform } from 'node:stream';
import { replyHeader } from '../transport/reply.ts';
import type { UpstreamReply } from '../core/reply.ts';
import { readUsage, type GenAiUsage } from './usage.ts';

/** A JSON answer larger than this is not parsed for usage. */
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

/**
 * The same reply, its body passed through unchanged while it is read on the side; `done` once it has ended or
 * been cut short. (A small answer is often all buffered before anyone looks at it: only a stage in its path sees it.)
 */
export function watchAnswer(reply: UpstreamReply, capture: boolean, done: (summary: AnswerSummary) => void): UpstreamReply {
  const contentType = replyHeader(reply, 'content-type');
  const streamed = /text\/event-stream/i.test(contentType ?? '');
  const json = !streamed && /json/i.test(contentType ?? '');
  const summary: AnswerSummary = { usage: {}, firstChunkAt: undefined, streamed, text: undefined, failed: false };
  const jsonChunks: Buffer[] = [];
  let jsonBytes = 0;
  let pending = '';
  let captured = '';
  const decoder = new TextDecoder();

  const sseLine = (line: string) => {
    if (!line.startsWith('data:')) return;
    // Only the events that can carry them are parsed: usage (the last, usually) and the first model.
    if (!line.includes('"usage"') && (summary.usage.responseModel !== undefined || !line.includes('"model"'))) return;
    try {
      readUsage(JSON.parse(line.slice(5)), summary.usage);
    } catch {
      // not JSON ([DONE], a comment): no usage in it
    }
  };

  const see = (bytes: Buffer) => {
    if (bytes.length === 0) return;
    summary.firstChunkAt ??= performance.now();
    if (json) {
      jsonBytes += bytes.length;
      if (jsonBytes <= MAX_JSON_BYTES) jsonChunks.push(bytes);
    }
    if (streamed || capture) {
      const text = decoder.decode(bytes, { stream: true });
      if (capture && captured.length < MAX_CAPTURED_CHARS) captured += text.slice(0, MAX_CAPTURED_CHARS - captured.length);
      if (streamed) {
        const lines = (pending + text).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) sseLine(line.trimEnd());
      }
    }
  };

  const finish = (failed: boolean) => {
    if (streamed && pending) sseLine(pending.trimEnd());
    if (json && jsonBytes > 0 && jsonBytes <= MAX_JSON_BYTES) {
      try {
        readUsage(JSON.parse(Buffer.concat(jsonChunks).toString('utf8')), summary.usage);
      } catch {
        // an answer that is not JSON after all carries no usage
      }
    }
    summary.failed = failed;
    if (capture) summary.text = captured;
    done(summary);
  };

  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      see(chunk);
      callback(null, chunk);
    },
  });
  // Errors both ways by hand, as tapUsage does (stream.pipeline costs an AbortController per answer).
  const body = reply.body;
  body.once('error', (error) => tap.destroy(error));
  tap.once('close', () => {
    if (!body.readableEnded) body.destroy();
    finish(!tap.readableEnded);
  });
  body.pipe(tap);
  return { ...reply, body: tap };
}
