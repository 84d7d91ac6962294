// Reading an answer's usage as its bytes pass, with the provider's one usage reader (`ProviderSpec.usage`): a whole
// JSON body, SSE `data:` lines, NDJSON lines or AWS event-stream frames. Bounded memory: a JSON body, a line or a
// frame larger than MAX_JSON_BYTES is not read (its tokens stay unknown), and nothing else is kept. Asked to, the same
// reading finds the model that answered (for a trace), from the text it already has.
import type { UsageReader, UsageReport } from '../providers/types.ts';
import { followBody } from '../transport/follow-body.ts';
import { replyHeader } from '../transport/reply.ts';
import type { UpstreamReply } from '../core/reply.ts';
import { UNKNOWN_USAGE, usageOf, type Usage } from './usage.ts';
import { firstStringMember, topLevelObjectMember } from './json-member.ts';

/** A body, line or frame larger than this is not parsed for its usage. */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;

type Format = 'json' | 'sse' | 'ndjson' | 'eventstream';

const CR = 13;
const EVENT = Buffer.from('event:');
const DATA = Buffer.from('data:');
const startsWith = (line: Buffer, prefix: Buffer): boolean => line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

/** Content types seen, with their format: the same few strings come with every answer. */
const formats = new Map<string, Format | undefined>();

function formatOf(contentType: string): Format | undefined {
  if (formats.has(contentType)) return formats.get(contentType);
  const format = parseFormat(contentType);
  if (formats.size < 64) formats.set(contentType, format);
  return format;
}

function parseFormat(contentType: string): Format | undefined {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') return 'sse';
  if (type === 'application/vnd.amazon.eventstream') return 'eventstream';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/ndjson') return 'ndjson';
  if (type.includes('json')) return 'json';
  return undefined;
}

/** A model's name longer than this is not looked for (the text after `"model":` is not decoded past it). */
const MAX_MODEL_BYTES = 64 * 1024;

/** The first `"model": "..."` of a body, line or frame, only the name's own bytes decoded (see firstStringMember). */
function modelIn(bytes: Buffer): string | undefined {
  const span = firstStringMember(bytes, 'model', MAX_MODEL_BYTES);
  if (!span) return undefined;
  try {
    const model: unknown = JSON.parse(bytes.toString('utf8', span.start, span.end));
    return typeof model === 'string' && model ? model : undefined;
  } catch {
    return undefined;
  }
}

/** Counts one answer's usage from its chunks, as they pass (and, asked to, finds the model that answered). */
export class UsageCounter {
  readonly #reader: UsageReader | undefined;
  readonly #findModel: boolean;
  #model: string | undefined;
  #format: Format | undefined;
  #report: UsageReport = {};
  #reported = false;
  #parts: Buffer[] = [];
  #held = 0;
  #dropping = false;
  #eventType: string | undefined;

  /** `reader` undefined: only the model is looked for (an error's body has no usage to read). */
  constructor(contentType: string, reader: UsageReader | undefined, findModel = false) {
    this.#reader = reader;
    this.#format = formatOf(contentType);
    // An AWS event stream's frames are not searched: a trace never found a model there.
    this.#findModel = findModel && this.#format !== 'eventstream';
  }

  /** The model the answer named first (a JSON body, the first SSE or NDJSON event naming one), when asked to find it. */
  get model(): string | undefined {
    return this.#model;
  }

  /** Bytes held for the body, line or frame being read. */
  get held(): number {
    return this.#held;
  }

  push(chunk: Buffer): void {
    switch (this.#format) {
      case 'json':
        this.#hold(chunk);
        return;
      case 'sse':
      case 'ndjson': {
        let start = 0;
        for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
          this.#hold(chunk.subarray(start, newline));
          this.#line();
          start = newline + 1;
        }
        if (start < chunk.length) this.#hold(chunk.subarray(start));
        return;
      }
      case 'eventstream':
        this.#frames(chunk);
        return;
      default:
    }
  }

  /** The usage reported, once the body has ended; unknown counts stay undefined. */
  end(): Usage {
    if (this.#format === 'json') this.#read(this.#take());
    else if (this.#format === 'sse' || this.#format === 'ndjson') this.#line();
    return this.#reported ? usageOf(this.#report) : { ...UNKNOWN_USAGE };
  }

  #hold(piece: Buffer): void {
    if (this.#dropping || piece.length === 0) return;
    this.#held += piece.length;
    if (this.#held > MAX_JSON_BYTES) {
      this.#dropping = true;
      this.#parts = [];
      this.#held = 0;
      return;
    }
    this.#parts.push(piece);
  }

  #take(): Buffer | undefined {
    const dropped = this.#dropping;
    const bytes = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
    this.#parts = [];
    this.#held = 0;
    this.#dropping = false;
    return dropped ? undefined : bytes;
  }

  #line(): void {
    let line = this.#take();
    if (line === undefined) return;
    if (line[line.length - 1] === CR) line = line.subarray(0, -1);
    if (this.#format === 'ndjson') return this.#read(line);
    if (line.length === 0) this.#eventType = undefined;
    else if (startsWith(line, EVENT)) this.#eventType = line.toString('utf8', EVENT.length).trim();
    else if (startsWith(line, DATA)) this.#read(line.subarray(DATA.length));
  }

  /** AWS event-stream frames: total length, headers length, prelude CRC, headers, payload, message CRC. */
  #frames(chunk: Buffer): void {
    this.#parts.push(chunk);
    this.#held += chunk.length;
    let pending = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
    while (pending.length >= 12) {
      const total = pending.readUInt32BE(0);
      if (total < 16 || total > MAX_JSON_BYTES) {
        // Not a frame we can read (or too large to): stop reading this stream.
        this.#format = undefined;
        pending = Buffer.alloc(0);
        break;
      }
      if (pending.length < total) break;
      const headersLength = pending.readUInt32BE(4);
      const headers = awsHeaders(pending.subarray(12, 12 + headersLength));
      if ((headers[':message-type'] ?? 'event') === 'event') {
        this.#eventType = headers[':event-type'];
        this.#read(pending.subarray(12 + headersLength, total - 4));
      }
      pending = pending.subarray(total);
    }
    this.#parts = pending.length ? [pending] : [];
    this.#held = pending.length;
  }

  #read(bytes: Buffer | undefined): void {
    if (bytes === undefined) return;
    if (this.#findModel && this.#model === undefined) this.#model = modelIn(bytes);
    const reader = this.#reader;
    if (!reader) return;
    let report: UsageReport | undefined;
    // The usage member alone when it can be found (it passes the reader's hint by its shape), decoded and parsed as
    // `{key: value}`, which the reader reads as it would the whole answer.
    const member = reader.usageKey === undefined ? undefined : topLevelObjectMember(bytes, reader.usageKey);
    try {
      if (member) report = reader(JSON.parse(`{${bytes.toString('utf8', member.start, member.end)}}`), this.#eventType);
      else {
        const text = bytes.toString('utf8');
        // The reader's own hint first: most events of a stream hold no usage and are never parsed.
        if (reader.mentions && !reader.mentions.test(text)) return;
        report = reader(JSON.parse(text), this.#eventType);
      }
    } catch {
      return; // not JSON (`[DONE]`, a cut event): no usage in it
    }
    if (!report) return;
    // Copied, not kept: a reader (a provider registered by a library user) may hand back an object of its own.
    Object.assign(this.#report, report);
    this.#reported = true;
  }
}

/** The string headers of an AWS event-stream frame (type 7); others are skipped by their lengths. */
function awsHeaders(bytes: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  const fixed: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };
  let at = 0;
  while (at < bytes.length) {
    const nameLength = bytes[at]!;
    const name = bytes.subarray(at + 1, at + 1 + nameLength).toString('utf8');
    at += 1 + nameLength;
    const type = bytes[at++];
    if (type === 6 || type === 7) {
      const length = bytes.readUInt16BE(at);
      if (type === 7) headers[name] = bytes.subarray(at + 2, at + 2 + length).toString('utf8');
      at += 2 + length;
    } else if (type !== undefined && type in fixed) at += fixed[type]!;
    else break;
  }
  return headers;
}

/**
 * A counter for the answer's usage (and its model, with `findModel`), or undefined when nothing can be read from it
 * (nothing to look for, a format none knows).
 */
export function usageCounter(reply: UpstreamReply, reader: UsageReader | undefined, findModel = false): UsageCounter | undefined {
  if (!reader && !findModel) return undefined;
  const contentType = replyHeader(reply, 'content-type');
  return contentType !== undefined && formatOf(contentType) ? new UsageCounter(contentType, reader, findModel) : undefined;
}

/**
 * The same reply, its body counted by the provider's reader as its reader reads it (no stage in between); `onUsage`
 * gets the usage when the body has ended (unknown counts undefined), nothing when it was cut short.
 */
export function tapUsage(reply: UpstreamReply, reader: UsageReader | undefined, onUsage: (usage: Usage) => void): UpstreamReply {
  if (!reader) return reply;
  const counter = new UsageCounter(replyHeader(reply, 'content-type') ?? '', reader);
  followBody(reply.body, (chunk) => counter.push(chunk), (how) => {
    if (how === 'ended') onUsage(counter.end());
  });
  return reply;
}

/** Input plus output tokens, for tpm limits (0 when the answer reported none). */
export function tokensOf(usage: Usage): number {
  return (usage.input ?? 0) + (usage.output ?? 0);
}
