import type { Readable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import type { StreamDelta, StreamTextReader } from '../../providers/types.ts';
import { colorJson } from './json-colors.ts';
import { eventJson, streamEvents, type StreamEvent, type StreamFormat } from './stream-events.ts';
import { writeChunk } from './write.ts';

/** One event as `--events` shows it: `event: name {json}`, the data's JSON coloured on one line. */
export function eventLine(event: StreamEvent, chalk: ChalkInstance): string {
  const label = event.event ? `${(event.failed ? chalk.red : chalk.cyan)(`event: ${event.event}`)} ` : '';
  const json = eventJson(event);
  const data = json === undefined ? (event.data === '[DONE]' ? chalk.dim(event.data) : event.data) : colorJson(json, chalk, 0);
  return `${label}${data}\n`;
}

/** Builds the text a person reads from the deltas: reasoning dimmed, tool calls as `⚙ name({...})`. */
class TextView {
  #channel: string | undefined;
  #last = '\n';
  #parts: string[] = [];
  readonly chalk: ChalkInstance;

  constructor(chalk: ChalkInstance) {
    this.chalk = chalk;
  }

  #write(text: string, painted = text): void {
    if (!text) return;
    this.#parts.push(painted);
    this.#last = text.at(-1)!;
  }

  #newline(): void {
    if (this.#last !== '\n') this.#write('\n');
  }

  #switch(channel: string): void {
    if (this.#channel === channel) return;
    this.close();
    this.#channel = channel;
  }

  /** Ends what is being shown: a tool call's parenthesis, a line of its own for reasoning. */
  close(): void {
    if (this.#channel?.startsWith('tool:')) this.#write(')', this.chalk.cyan(')'));
    if (this.#channel !== undefined) this.#newline();
    this.#channel = undefined;
  }

  add(delta: StreamDelta): void {
    if (delta.reasoning) {
      this.#switch('reasoning');
      this.#write(delta.reasoning, this.chalk.dim(delta.reasoning));
    }
    if (delta.text) {
      this.#switch('text');
      this.#write(delta.text);
    }
    if (delta.tool) {
      const channel = `tool:${delta.tool.key}`;
      if (this.#channel !== channel) {
        this.#switch(channel);
        this.#newline();
        const head = `⚙ ${delta.tool.name || 'tool'}(`;
        this.#write(head, this.chalk.cyan(head));
      }
      if (delta.tool.args) this.#write(delta.tool.args);
    }
  }

  line(text: string): void {
    this.close();
    this.#write(text);
  }

  finish(): void {
    this.close();
    this.#newline();
  }

  take(): string {
    return this.#parts.splice(0).join('');
  }
}

/**
 * A stream on a terminal as the answer's text, assembled as it arrives: the provider's `streamText` hook says which
 * fields hold text, reasoning (dimmed), tool calls and usage. An event the hook does not know, first of all, turns
 * the rest into the `--events` view, so an unknown format is still shown in full.
 */
export async function renderStreamText(body: Readable, format: StreamFormat, out: NodeJS.WritableStream, chalk: ChalkInstance, reader: StreamTextReader): Promise<void> {
  const view = new TextView(chalk);
  let decided: 'text' | 'events' | undefined;
  for await (const events of streamEvents(body, format)) {
    for (const event of events) {
      if (decided === 'events') {
        view.line(eventLine(event, chalk));
        continue;
      }
      const json = eventJson(event);
      if (json === undefined) {
        if (event.data === '[DONE]' || !event.data.trim()) continue;
        decided ??= 'events';
        view.line(decided === 'events' ? eventLine(event, chalk) : `${event.data}\n`);
        continue;
      }
      const delta = reader(json, event.event);
      if (delta === undefined && decided === undefined) {
        decided = 'events';
        view.line(eventLine(event, chalk));
        continue;
      }
      decided = 'text';
      if (event.failed) view.line(`${chalk.red(`${event.event ?? 'error'}:`)} ${event.data}\n`);
      else if (delta) view.add(delta);
    }
    const text = view.take();
    if (text) await writeChunk(out, text);
  }
  if (decided === 'text') view.finish();
  const rest = view.take();
  if (rest) await writeChunk(out, rest);
}
