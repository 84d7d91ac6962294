import type { Readable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import { createParser } from 'eventsource-parser';
import { colorJson } from './json-colors.ts';
import type { ColorLevel } from './output-mode.ts';
import { writeChunk } from './write.ts';
import type { UpstreamReply } from '../../core/reply.ts';

export function chalkAt(level: ColorLevel): ChalkInstance {
  return new Chalk({ level });
}

export function headerBlock(reply: UpstreamReply, chalk: ChalkInstance): string {
  const text = `HTTP/1.1 ${reply.status} ${reply.statusText}`.trimEnd();
  const paint = reply.status < 300 ? chalk.green : reply.status < 400 ? chalk.yellow : chalk.red;
  const lines = [paint.bold(text)];
  for (const [name, value] of reply.headers) lines.push(`${chalk.cyan(name)}: ${value}`);
  return `${lines.join('\n')}\n\n`;
}

/** SSE on a terminal: each event printed the moment it is complete, JSON data coloured on one line. */
export async function renderEvents(body: Readable, out: NodeJS.WritableStream, chalk: ChalkInstance): Promise<void> {
  const pending: string[] = [];
  const parser = createParser({
    onEvent(event) {
      const name = event.event ? `${chalk.cyan(`event: ${event.event}`)} ` : '';
      let data: string;
      try {
        data = colorJson(JSON.parse(event.data), chalk, 0);
      } catch {
        data = event.data === '[DONE]' ? chalk.dim(event.data) : event.data;
      }
      pending.push(`${name}${data}\n`);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    if (pending.length) await writeChunk(out, pending.splice(0).join(''));
  }
  parser.feed(decoder.decode());
  if (pending.length) await writeChunk(out, pending.join(''));
}

export async function renderJson(body: Readable, out: NodeJS.WritableStream, chalk: ChalkInstance): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let rendered: string;
  try {
    rendered = colorJson(JSON.parse(text), chalk);
  } catch {
    rendered = text;
  }
  await writeChunk(out, rendered.endsWith('\n') ? rendered : `${rendered}\n`);
}
