import type { Readable } from 'node:stream';

/** The streamed formats llmpass reads event by event. */
export type StreamFormat = 'sse' | 'eventstream' | 'ndjson';

/** One event: its type (SSE `event:`, an AWS `:event-type`) and its data as text. */
export interface StreamEvent {
  event: string | undefined;
  data: string;
  /** An AWS event stream's error or exception, or an SSE `event: error`. */
  failed?: boolean;
}

export function streamFormat(contentType: string): StreamFormat | undefined {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') return 'sse';
  if (type === 'application/vnd.amazon.eventstream') return 'eventstream';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/ndjson' || type === 'application/json-seq') return 'ndjson';
  return undefined;
}

/** Prelude (total and header lengths, CRC) plus the message CRC: the smallest AWS event-stream frame. */
const MIN_FRAME = 16;

async function* sseEvents(body: Readable): AsyncGenerator<StreamEvent[]> {
  const { createParser } = await import('eventsource-parser');
  let pending: StreamEvent[] = [];
  const parser = createParser({ onEvent: (event) => pending.push({ event: event.event, data: event.data, failed: event.event === 'error' }) });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    if (pending.length) yield pending.splice(0);
  }
  parser.feed(`${decoder.decode()}\n\n`);
  if (pending.length) yield pending;
  pending = [];
}

/** A decoded AWS event-stream message: its headers and payload. */
export interface AwsMessage {
  headers: Record<string, { type: string; value: unknown }>;
  body: Uint8Array;
}

/**
 * AWS event streams (`application/vnd.amazon.eventstream`): binary frames decoded with the AWS codec (CRCs checked),
 * in batches as soon as a chunk completes them. `onLeftover` hears of bytes left inside an unfinished frame.
 */
export async function* awsMessages(body: Readable, onLeftover?: (bytes: number) => void): AsyncGenerator<AwsMessage[]> {
  const { EventStreamCodec } = await import('@smithy/core/event-streams');
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const codec = new EventStreamCodec((bytes) => decoder.decode(bytes), (text) => encoder.encode(text));
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    const messages: AwsMessage[] = [];
    while (pending.length >= 4) {
      const total = pending.readUInt32BE(0);
      if (total < MIN_FRAME) throw new Error(`not an AWS event stream (a frame of ${total} bytes)`);
      if (pending.length < total) break;
      messages.push(codec.decode(pending.subarray(0, total)) as AwsMessage);
      pending = pending.subarray(total);
    }
    if (messages.length) yield messages;
  }
  if (pending.length) onLeftover?.(pending.length);
}

/** A header of an AWS message, when it is text. */
export function awsHeader(message: AwsMessage, name: string): string | undefined {
  const value = message.headers[name]?.value;
  return typeof value === 'string' ? value : undefined;
}

async function* awsEvents(body: Readable): AsyncGenerator<StreamEvent[]> {
  const decoder = new TextDecoder();
  for await (const messages of awsMessages(body)) {
    yield messages.map((message) => {
      const kind = awsHeader(message, ':message-type') ?? 'event';
      const name = kind === 'exception' ? awsHeader(message, ':exception-type') : kind === 'error' ? awsHeader(message, ':error-code') : awsHeader(message, ':event-type');
      const data = kind === 'error' ? JSON.stringify({ message: awsHeader(message, ':error-message') ?? '' }) : decoder.decode(message.body);
      return { event: name, data, failed: kind !== 'event' };
    });
  }
}

async function* ndjsonEvents(body: Readable): AsyncGenerator<StreamEvent[]> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of body) {
    rest += decoder.decode(chunk as Uint8Array, { stream: true });
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    const events = lines.filter((line) => line.trim()).map((line) => ({ event: undefined, data: line.replace(/\r$/, '') }));
    if (events.length) yield events;
  }
  rest += decoder.decode();
  if (rest.trim()) yield [{ event: undefined, data: rest.replace(/\r$/, '') }];
}

/** A streamed body as batches of whole events, each batch as soon as a chunk completes it. */
export function streamEvents(body: Readable, format: StreamFormat): AsyncGenerator<StreamEvent[]> {
  return format === 'sse' ? sseEvents(body) : format === 'eventstream' ? awsEvents(body) : ndjsonEvents(body);
}

/**
 * One `--ndjson` line's value. An AWS event's type lives only in a frame header, so it is kept as the AWS SDKs shape
 * an event (`{"contentBlockDelta": {...}}`, `{"throttlingException": {...}}`), and a `chunk`'s base64 `bytes` (an
 * invoke stream) is the model's own JSON; SSE and NDJSON events carry their type inside, and are their data.
 */
export function ndjsonValue(event: StreamEvent, format: StreamFormat): unknown {
  const data = eventJson(event) ?? event.data;
  if (format !== 'eventstream') return data;
  const bytes = (data as { bytes?: unknown } | null)?.bytes;
  if (event.event === 'chunk' && typeof bytes === 'string') {
    const inner = Buffer.from(bytes, 'base64').toString('utf8');
    return { chunk: eventJson({ event: undefined, data: inner }) ?? inner };
  }
  return { [event.event ?? 'event']: data };
}

/** An event's data as JSON, or undefined (`[DONE]`, text). */
export function eventJson(event: StreamEvent): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    return undefined;
  }
}
