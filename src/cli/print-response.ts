import { Chalk, type ChalkInstance } from 'chalk';
import { createParser } from 'eventsource-parser';
import { isJsonMediaType } from '../transport/headers.ts';
import { colorJson } from './json-colors.ts';
import type { OutputMode } from './output-mode.ts';
import { writeChunk } from './write.ts';

export interface PrintOptions {
  mode: OutputMode;
  /** `--include`: the status line and headers before the body. */
  include: boolean;
  out: NodeJS.WritableStream;
}

function statusLine(response: Response, chalk: ChalkInstance): string {
  const text = `HTTP/1.1 ${response.status} ${response.statusText}`.trimEnd();
  const paint = response.status < 300 ? chalk.green : response.status < 400 ? chalk.yellow : chalk.red;
  return paint.bold(text);
}

function headerBlock(response: Response, chalk: ChalkInstance): string {
  const lines = [statusLine(response, chalk)];
  response.headers.forEach((value, name) => lines.push(`${chalk.cyan(name)}: ${value}`));
  return `${lines.join('\n')}\n\n`;
}

async function copyRaw(body: ReadableStream<Uint8Array>, out: NodeJS.WritableStream): Promise<void> {
  for await (const chunk of body) await writeChunk(out, chunk);
}

/** SSE on a terminal: each event printed the moment it is complete, JSON data coloured on one line. */
async function renderEvents(body: ReadableStream<Uint8Array>, out: NodeJS.WritableStream, chalk: ChalkInstance): Promise<void> {
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
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (pending.length) await writeChunk(out, pending.splice(0).join(''));
  }
  parser.feed(decoder.decode());
  if (pending.length) await writeChunk(out, pending.join(''));
}

async function renderJson(body: ReadableStream<Uint8Array>, out: NodeJS.WritableStream, chalk: ChalkInstance): Promise<void> {
  const text = await new Response(body).text();
  let rendered: string;
  try {
    rendered = colorJson(JSON.parse(text), chalk);
  } catch {
    rendered = text;
  }
  await writeChunk(out, rendered.endsWith('\n') ? rendered : `${rendered}\n`);
}

/**
 * Prints the upstream's answer as the output mode says: byte for byte when piped; on a terminal, JSON pretty and
 * coloured, SSE event by event as it arrives, anything else as it is.
 */
export async function printResponse(response: Response, options: PrintOptions): Promise<void> {
  const chalk = new Chalk({ level: options.mode.color });
  if (options.include) await writeChunk(options.out, headerBlock(response, chalk));
  const body = response.body;
  if (!body) return;
  if (!options.mode.pretty) return copyRaw(body, options.out);
  const type = response.headers.get('content-type') ?? '';
  if (type.toLowerCase().startsWith('text/event-stream')) return renderEvents(body, options.out, chalk);
  if (isJsonMediaType(type)) return renderJson(body, options.out, chalk);
  return copyRaw(body, options.out);
}
