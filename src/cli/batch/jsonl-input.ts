import type { BatchInput } from '../../batch/types.ts';
import { JsonBodyError, scanJson } from '../../transport/json-body.ts';

/**
 * Splits a byte stream into lines (LF or CRLF; a last line without a newline counts), holding no more than the
 * line being read. Chunks are pulled as lines are taken, so a slow consumer slows the reading.
 */
export async function* readLineBytes(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer, void, undefined> {
  let parts: Buffer[] = [];
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      let bytes = chunk.subarray(start, newline);
      if (parts.length) {
        bytes = Buffer.concat([...parts, bytes]);
        parts = [];
      }
      yield withoutCr(bytes);
      start = newline + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
  }
  if (parts.length) yield withoutCr(Buffer.concat(parts));
}

/** A line of its own (a copy): a line in flight must not keep the whole chunk it came in alive. */
function withoutCr(bytes: Buffer): Buffer {
  return Buffer.from(bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.subarray(0, bytes.length - 1) : bytes);
}

/** The same lines as text. */
export async function* readLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string, void, undefined> {
  for await (const bytes of readLineBytes(chunks)) yield bytes.toString('utf8');
}

export const INVALID_LINE = 'LLMPASS_INVALID_JSON';

export interface PayloadLineOptions {
  /** Whether a payload (the `index`-th, from 1, at input line `line`) already has its result: it is skipped. */
  done?: ((line: number, index: number) => boolean) | undefined;
  onSkip?: (() => void) | undefined;
}

const isSpace = (byte: number) => byte === 32 || byte === 9 || byte === 13;

/**
 * JSON Lines as batch inputs: blank lines are skipped (no result), each other line is a payload numbered by its
 * line in the input, scanned as bytes (its model swapped by splicing, like any JSON body), and a line that does not
 * scan is a failed input, not the end of the run.
 */
export async function* payloadLines(lines: AsyncIterable<Uint8Array | string>, options: PayloadLineOptions = {}): AsyncGenerator<BatchInput, void, undefined> {
  let line = 0;
  let index = 0;
  for await (const raw of lines) {
    line += 1;
    const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (bytes.every(isSpace)) continue;
    index += 1;
    if (options.done?.(line, index)) {
      options.onSkip?.();
      continue;
    }
    try {
      yield { line, payload: scanJson(bytes, `line ${line}`) };
    } catch (error) {
      if (!(error instanceof JsonBodyError)) throw error;
      yield { line, error: { code: INVALID_LINE, message: error.tooDeep ? error.message : `line ${line} is not JSON (${error.reason})` } };
    }
  }
}

/** Payload lines in a file (non-blank lines), counted in the background for the progress bar's total. */
export async function countPayloadLines(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let count = 0;
  // Whether the line being read has shown a byte other than blanks yet.
  let filled = false;
  for await (const raw of chunks) {
    const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      // Most lines start with `{`: only a line that starts blank is scanned further.
      for (let i = start; !filled && i < end; i++) if (!isSpace(chunk[i]!)) filled = true;
      if (newline === -1) break;
      if (filled) count += 1;
      filled = false;
      start = newline + 1;
    }
  }
  return filled ? count + 1 : count;
}
