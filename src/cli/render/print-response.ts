import type { Readable } from 'node:stream';
import { replyHeader } from '../../transport/reply.ts';
import { isJsonMediaType } from '../../transport/headers.ts';
import type { OutputMode } from './output-mode.ts';
import { writeChunk } from './write.ts';
import type { UpstreamReply } from '../../core/reply.ts';

export interface PrintOptions {
  mode: OutputMode;
  /** `--include`: the status line and headers before the body. */
  include: boolean;
  out: NodeJS.WritableStream;
}

async function copyRaw(body: Readable, out: NodeJS.WritableStream): Promise<void> {
  for await (const chunk of body) await writeChunk(out, chunk as Uint8Array);
}

function plainHeaderBlock(reply: UpstreamReply): string {
  const lines = [`HTTP/1.1 ${reply.status} ${reply.statusText}`.trimEnd()];
  for (const [name, value] of reply.headers) lines.push(`${name}: ${value}`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * Prints the upstream's answer as the output mode says: byte for byte when piped; on a terminal, JSON pretty and
 * coloured, SSE and AWS event streams event by event as they arrive, anything else as it is. The renderers (chalk,
 * the SSE parser, the AWS event-stream codec) are loaded only for a person's terminal. True when the body went out
 * as it came (its last line may be open).
 */
export async function printResponse(reply: UpstreamReply, options: PrintOptions): Promise<boolean> {
  const { mode, out } = options;
  const type = (replyHeader(reply, 'content-type') ?? '').toLowerCase();
  const sse = type.startsWith('text/event-stream');
  // Bedrock's binary streams: decoded for a person, bytes as they came otherwise.
  const eventStream = type.startsWith('application/vnd.amazon.eventstream');
  const formatted = mode.pretty && (sse || eventStream || isJsonMediaType(type));
  if (!formatted && mode.color === 0) {
    if (options.include) await writeChunk(out, plainHeaderBlock(reply));
    await copyRaw(reply.body, out);
    return true;
  }
  const pretty = await import('./render-pretty.ts');
  const chalk = pretty.chalkAt(mode.color);
  if (options.include) await writeChunk(out, pretty.headerBlock(reply, chalk));
  if (!formatted) {
    await copyRaw(reply.body, out);
    return true;
  }
  if (eventStream) await (await import('./render-eventstream.ts')).renderEventStream(reply.body, out, chalk);
  else await (sse ? pretty.renderEvents(reply.body, out, chalk) : pretty.renderJson(reply.body, out, chalk));
  return false;
}
