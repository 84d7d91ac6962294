import { Transform } from 'node:stream';
import { replyHeader } from '../transport/reply.ts';
import type { UpstreamReply } from '../core/reply.ts';

/** A JSON answer larger than this is not parsed for its usage (its tokens go uncounted). */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

interface Usage {
  total?: number;
  input?: number;
  output?: number;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Reads the usage shapes providers report: OpenAI's and vLLM's, Anthropic's, Gemini's `usageMetadata`. */
function readUsage(body: unknown, into: Usage): void {
  if (typeof body !== 'object' || body === null) return;
  const object = body as Record<string, unknown>;
  const usage = (object.usage ?? (object.message as Record<string, unknown> | undefined)?.usage) as Record<string, unknown> | undefined;
  if (usage && typeof usage === 'object') {
    into.total = count(usage.total_tokens) ?? into.total;
    into.input = count(usage.prompt_tokens) ?? count(usage.input_tokens) ?? into.input;
    // Anthropic's stream repeats the running output count in each message_delta: the last one is the total.
    into.output = count(usage.completion_tokens) ?? count(usage.output_tokens) ?? into.output;
  }
  const gemini = object.usageMetadata as Record<string, unknown> | undefined;
  if (gemini && typeof gemini === 'object') into.total = count(gemini.totalTokenCount) ?? into.total;
}

function tokensOf(usage: Usage): number | undefined {
  if (usage.total !== undefined) return usage.total;
  if (usage.input === undefined && usage.output === undefined) return undefined;
  return (usage.input ?? 0) + (usage.output ?? 0);
}

/** The tokens a whole JSON body reports using. */
export function tokensInJson(text: string): number | undefined {
  const usage: Usage = {};
  try {
    readUsage(JSON.parse(text), usage);
  } catch {
    return undefined;
  }
  return tokensOf(usage);
}

/**
 * Collects usage from SSE `data:` lines as they pass, parsing only lines that mention it. Linear in the stream: each
 * chunk is searched once for line ends, and a line is held only while it may be a `data:` line under the size
 * bound (a larger one is dropped as it arrives, its tokens uncounted, as for a JSON answer).
 */
export class SseUsage {
  readonly usage: Usage = {};
  #parts: string[] = [];
  #held = 0;
  #dropping = false;

  /** Characters held for the line being read. */
  get held(): number {
    return this.#held;
  }

  push(text: string): void {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      this.#take(text.slice(start, newline));
      this.#lineEnded();
      start = newline + 1;
    }
    if (start < text.length) this.#take(text.slice(start));
  }

  end(): number | undefined {
    this.#lineEnded();
    return tokensOf(this.usage);
  }

  #take(piece: string): void {
    if (this.#dropping || piece === '') return;
    // Once five characters are in, they say whether this is a `data:` line (the pieces before are shorter).
    const notData = this.#held < 5 && this.#held + piece.length >= 5 && !(this.#parts.join('') + piece.slice(0, 5)).startsWith('data:');
    this.#held += piece.length;
    if (notData || this.#held > MAX_JSON_BYTES) {
      this.#dropping = true;
      this.#parts = [];
      this.#held = 0;
      return;
    }
    this.#parts.push(piece);
  }

  #lineEnded(): void {
    const line = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
    this.#parts = [];
    this.#held = 0;
    this.#dropping = false;
    if (!line.startsWith('data:') || !line.includes('usage')) return;
    try {
      readUsage(JSON.parse(line.slice(5)), this.usage);
    } catch {
      // not JSON (`[DONE]`, a partial event): no usage in it
    }
  }
}

/**
 * The same reply, its body passed through unchanged while the usage it reports is read on the side; `onTokens`
 * gets the tokens when the body has ended. Only JSON and SSE answers are read; others are returned as they are.
 */
export function tapUsage(reply: UpstreamReply, onTokens: (tokens: number) => void): UpstreamReply {
  const type = (replyHeader(reply, 'content-type') ?? '').toLowerCase();
  const sse = type.startsWith('text/event-stream');
  if (!sse && !type.includes('json')) return reply;
  const decoder = new TextDecoder();
  const events = new SseUsage();
  const chunks: Buffer[] = [];
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (sse) events.push(decoder.decode(chunk, { stream: true }));
      else if ((size += chunk.length) <= MAX_JSON_BYTES) chunks.push(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const tokens = sse ? events.end() : size <= MAX_JSON_BYTES ? tokensInJson(Buffer.concat(chunks).toString('utf8')) : undefined;
      if (tokens !== undefined && tokens > 0) onTokens(tokens);
      callback();
    },
  });
  // Errors both ways, by hand (stream.pipeline costs an AbortController and a DOMException per answer): a body
  // cut short fails the tap with its typed error, a reader that goes away destroys the upstream body.
  const body = reply.body;
  body.once('error', (error) => tap.destroy(error));
  tap.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(tap);
  return { ...reply, body: tap };
}
