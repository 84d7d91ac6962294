import type { Readable } from 'node:stream';
import type { RouterEvent } from '../../router/router.ts';
import { replyHeader } from '../../transport/reply.ts';
import type { UpstreamReply } from '../../core/reply.ts';

// What a person at a terminal is told about an answer, on stderr. Loaded only when stdout or stderr is a terminal.

/** `12.3 MB`: sizes in a notice (decimal units, as curl and httpie print them). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const ANSI = { red: ['\u001b[31m', '\u001b[39m'], yellow: ['\u001b[33m', '\u001b[39m'], bold: ['\u001b[1m', '\u001b[22m'] } as const;

/** `HTTP 404 Not Found` for a non-2xx answer, coloured unless colour is off; `(empty body)` when it says so. */
export function statusLine(reply: UpstreamReply, color: boolean): string {
  const text = `HTTP ${reply.status} ${reply.statusText}`.trimEnd();
  const empty = replyHeader(reply, 'content-length') === '0' ? ' (empty body)' : '';
  if (!color) return `${text}${empty}\n`;
  const [on, off] = reply.status >= 400 ? ANSI.red : ANSI.yellow;
  return `${ANSI.bold[0]}${on}${text}${off}${ANSI.bold[1]}${empty}\n`;
}

/** A retry announced as it happens: `llmpass: HTTP 503 from ...; attempt 2 of 3 in 0.5 s`. */
export function retryLine(bin: string, event: Extract<RouterEvent, { type: 'retry' }>): string {
  const reason = event.status === undefined ? event.reason : `${event.reason} from ${event.deployment.id}`;
  return `${bin}: ${reason}; attempt ${event.next} of ${event.attempts} in ${(event.delayMs / 1000).toFixed(1)} s\n`;
}

/** Types a terminal shows as text: anything else is held back. */
function textualType(media: string): boolean {
  if (!media || media.startsWith('text/')) return true;
  return /[/+](json|xml|yaml|x-ndjson|ndjson|jsonl|javascript|ecmascript|x-www-form-urlencoded|graphql)$/.test(media);
}

/** AWS event streams are binary frames the terminal view decodes: never held back. */
const DECODED = 'application/vnd.amazon.eventstream';

/** Bytes that are not text: a NUL, or not UTF-8 (a sequence cut at the chunk's end is allowed). */
function looksBinary(chunk: Buffer): boolean {
  if (chunk.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(chunk, { stream: true });
    return false;
  } catch {
    return true;
  }
}

/** The first chunk of a body, put back so whoever reads next sees every byte; undefined when it is empty. */
async function peek(body: Readable): Promise<Buffer | undefined> {
  for (;;) {
    const chunk = body.read() as Buffer | null;
    if (chunk !== null) {
      body.unshift(chunk);
      return chunk;
    }
    if (body.readableEnded || body.destroyed) return undefined;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        body.off('readable', done);
        body.off('end', done);
        body.off('error', fail);
        resolve();
      };
      const fail = (error: Error) => {
        body.off('readable', done);
        body.off('end', done);
        reject(error);
      };
      body.once('readable', done);
      body.once('end', done);
      body.once('error', fail);
    });
  }
}

/**
 * A binary answer (audio, an image, bytes that are not text) is not dumped on a terminal, as curl and httpie do:
 * it is read to its end and a one-line notice names its type and size. Returns the notice, or undefined when the
 * answer is text (then nothing was consumed: the body still holds every byte).
 */
export async function holdBackBinary(reply: UpstreamReply, bin: string): Promise<string | undefined> {
  const type = replyHeader(reply, 'content-type') ?? '';
  const media = type.split(';')[0]!.trim().toLowerCase();
  if (media === DECODED) return undefined;
  if (textualType(media)) {
    const first = await peek(reply.body);
    if (!first || !looksBinary(first)) return undefined;
  }
  let size = 0;
  for await (const chunk of reply.body) size += (chunk as Buffer).length;
  return `${bin}: binary answer not shown (${type || 'no content-type'}, ${formatSize(size)}); save it with --output FILE, or print it with --raw\n`;
}
