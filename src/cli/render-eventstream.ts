import type { Readable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import { colorJson } from './json-colors.ts';
import { writeChunk } from './write.ts';

/** Prelude (total and header lengths, CRC) plus the message CRC: the smallest frame there is. */
const MIN_FRAME = 16;

type Headers = Record<string, { type: string; value: unknown }>;

function headerText(headers: Headers, name: string): string | undefined {
  const value = headers[name]?.value;
  return typeof value === 'string' ? value : undefined;
}

/** The payload as a person reads it: JSON coloured, and an invoke stream's `{"bytes": base64}` chunk opened up. */
function payloadText(body: Uint8Array, chalk: ChalkInstance): string {
  const text = new TextDecoder().decode(body);
  if (!text) return '';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  const bytes = (value as { bytes?: unknown } | null)?.bytes;
  if (typeof bytes === 'string') {
    const inner = Buffer.from(bytes, 'base64').toString('utf8');
    try {
      return colorJson(JSON.parse(inner), chalk, 0);
    } catch {
      return inner;
    }
  }
  return colorJson(value, chalk, 0);
}

function describeMessage(message: { headers: Headers; body: Uint8Array }, chalk: ChalkInstance): string {
  const kind = headerText(message.headers, ':message-type') ?? 'event';
  if (kind === 'error') {
    const code = headerText(message.headers, ':error-code') ?? 'error';
    return `${chalk.red(`error: ${code}`)} ${headerText(message.headers, ':error-message') ?? ''}\n`;
  }
  const name = kind === 'exception' ? headerText(message.headers, ':exception-type') : headerText(message.headers, ':event-type');
  const label = kind === 'exception' ? chalk.red(`exception: ${name ?? '?'}`) : chalk.cyan(`event: ${name ?? '?'}`);
  return `${label} ${payloadText(message.body, chalk)}\n`;
}

/**
 * AWS event streams (`application/vnd.amazon.eventstream`, Bedrock's streaming answers) on a terminal: binary frames
 * decoded with the AWS codec (CRCs checked), each printed as `event: name {json}` the moment it is whole.
 */
export async function renderEventStream(body: Readable, out: NodeJS.WritableStream, chalk: ChalkInstance): Promise<void> {
  const { EventStreamCodec } = await import('@smithy/core/event-streams');
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const codec = new EventStreamCodec((bytes) => decoder.decode(bytes), (text) => encoder.encode(text));
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    const lines: string[] = [];
    while (pending.length >= 4) {
      const total = pending.readUInt32BE(0);
      if (total < MIN_FRAME) throw new Error(`not an AWS event stream (a frame of ${total} bytes)`);
      if (pending.length < total) break;
      const message = codec.decode(pending.subarray(0, total));
      pending = pending.subarray(total);
      lines.push(describeMessage(message as { headers: Headers; body: Uint8Array }, chalk));
    }
    if (lines.length) await writeChunk(out, lines.join(''));
  }
  if (pending.length) await writeChunk(out, `${chalk.red(`(the stream ended inside an event: ${pending.length} bytes left)`)}\n`);
}
