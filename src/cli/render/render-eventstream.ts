import type { Readable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import { colorJson } from './json-colors.ts';
import { awsHeader, awsMessages, type AwsMessage } from './stream-events.ts';
import { writeChunk } from './write.ts';

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

function describeMessage(message: AwsMessage, chalk: ChalkInstance): string {
  const kind = awsHeader(message, ':message-type') ?? 'event';
  if (kind === 'error') {
    const code = awsHeader(message, ':error-code') ?? 'error';
    return `${chalk.red(`error: ${code}`)} ${awsHeader(message, ':error-message') ?? ''}\n`;
  }
  const name = kind === 'exception' ? awsHeader(message, ':exception-type') : awsHeader(message, ':event-type');
  const label = kind === 'exception' ? chalk.red(`exception: ${name ?? '?'}`) : chalk.cyan(`event: ${name ?? '?'}`);
  return `${label} ${payloadText(message.body, chalk)}\n`;
}

/**
 * AWS event streams (`application/vnd.amazon.eventstream`, Bedrock's streaming answers) on a terminal with
 * `--events`: each message printed as `event: name {json}` the moment it is whole.
 */
export async function renderEventStream(body: Readable, out: NodeJS.WritableStream, chalk: ChalkInstance): Promise<void> {
  let leftover = 0;
  for await (const messages of awsMessages(body, (bytes) => (leftover = bytes))) {
    await writeChunk(out, messages.map((message) => describeMessage(message, chalk)).join(''));
  }
  if (leftover) await writeChunk(out, `${chalk.red(`(the stream ended inside an event: ${leftover} bytes left)`)}\n`);
}
