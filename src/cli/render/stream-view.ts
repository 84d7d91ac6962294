import type { StreamTextReader } from '../../providers/types.ts';
import { replyHeader } from '../../transport/reply.ts';
import type { UpstreamReply } from '../../core/reply.ts';
import type { OutputMode } from './output-mode.ts';
import { ndjsonValue, streamEvents, streamFormat } from './stream-events.ts';
import { writeChunk } from './write.ts';

export interface StreamViewOptions {
  mode: OutputMode;
  out: NodeJS.WritableStream;
  include: boolean;
  /** `--ndjson`: each event's data as one JSON line, piped or not. */
  ndjson: boolean;
  /** `--events`: the events one by one (the view the text view falls back to). */
  events: boolean;
  /** The answering provider's hook; without one the events are shown one by one. */
  reader: StreamTextReader | undefined;
}

/**
 * Streams shown other than byte for byte: as assembled text on a terminal, or as NDJSON for `jq`. Returns false
 * when the answer is not a stream this view takes (then it is printed as before, untouched).
 */
export async function printStream(reply: UpstreamReply, options: StreamViewOptions): Promise<boolean> {
  const format = streamFormat(replyHeader(reply, 'content-type') ?? '');
  if (!format) return false;
  const { out } = options;
  if (options.ndjson) {
    if (options.include) await writeChunk(out, `${`HTTP/1.1 ${reply.status} ${reply.statusText}`.trimEnd()}\n${reply.headers.map(([name, value]) => `${name}: ${value}\n`).join('')}\n`);
    for await (const events of streamEvents(reply.body, format)) {
      const lines = events.filter((event) => event.data !== '[DONE]' && event.data.trim()).map((event) => `${JSON.stringify(ndjsonValue(event, format))}\n`);
      if (lines.length) await writeChunk(out, lines.join(''));
    }
    return true;
  }
  if (options.events || !options.reader) return false;
  const pretty = await import('./render-pretty.ts');
  const chalk = pretty.chalkAt(options.mode.color);
  if (options.include) await writeChunk(out, pretty.headerBlock(reply, chalk));
  await (await import('./render-text.ts')).renderStreamText(reply.body, format, out, chalk, options.reader);
  return true;
}
