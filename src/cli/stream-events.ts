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

async function* awsEvents(body: Readable): AsyncGenerator<StreamEvent[]> {
  const { EventStreamCodec } = await import('@smithy/core/event-streams');
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const codec = new EventStreamCodec((bytes) => decoder.decode(bytes), (text) => encoder.encode(text));
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    const events: StreamEvent[] = [];
    while (pending.length >= 4) {
      const total = pending.readUInt32BE(0);
      if (total < MIN_FRAME) throw new Error(`not an AWS event stream (a frame of ${total} bytes)`);
      if (pending.length < total) break;
      const message = codec.decode(pending.subarray(0, total));
      pending = pending.subarray(total);
      const header = (name: string) => {
        const value = message.headers[name]?.value;
        return typeof value === 'string' ? value : undefined;
      };
      const kind = header(':message-type') ?? 'event';
      const name = kind === 'exception' ? header(':exception-type') : kind === 'error' ? header(':error-code') : header(':event-type');
      const data = kind === 'error' ? JSON.stringify({ message: header(':error-message') ?? '' }) : decoder.decode(message.body);
      events.push({ event: name, data, failed: kind !== 'event' });
    }
    if (events.length) yield events;
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

/** An event's data as JSON, or undefined (`[DONE]`, text). */
export function eventJson(event: StreamEvent): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    return undefined;
  }
}
