import { createReadStream } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { UsageError } from '../errors.ts';
import type { BodyInit } from '../transport/body.ts';
import { isJsonMediaType } from '../transport/headers.ts';
import { JsonBodyError, scanJson, type JsonBody } from '../transport/json-body.ts';

export interface PayloadFlags {
  json?: string | undefined;
  data?: string | undefined;
  form?: string[] | undefined;
  ignoreStdin?: boolean | undefined;
}

export interface Payload {
  json?: JsonBody;
  body?: BodyInit;
  /** How `--curl` should send it (`--data-binary @file`, `-F ...`); undefined for JSON, which is printed inline. */
  curlSource?: string;
  /** The size of a file body, for content-length and the dry run. */
  length?: number;
}

/** JSON is scanned as bytes, never decoded first: invalid UTF-8 is refused, not silently replaced. */
function parseJson(bytes: Uint8Array, from: string): JsonBody {
  try {
    return scanJson(bytes, from);
  } catch (error) {
    if (error instanceof JsonBodyError && !error.tooDeep) throw new UsageError(`${error.message}; to send it as is, set --header 'content-type: ...'`);
    throw error;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

async function fileSize(path: string, flag: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${flag}: ${path} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** `--form field=value` and `--form file=@path[;type=audio/wav]`, as curl's -F; files stream from disk. */
async function buildForm(fields: string[]): Promise<FormData> {
  const form = new FormData();
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq <= 0) throw new UsageError(`--form "${field}": expected name=value or name=@file`);
    const name = field.slice(0, eq);
    const value = field.slice(eq + 1);
    if (!value.startsWith('@')) {
      form.append(name, value);
      continue;
    }
    const [path = '', ...options] = value.slice(1).split(';');
    const type = options.find((o) => o.startsWith('type='))?.slice(5);
    await fileSize(path, '--form');
    const blob = await openAsBlob(path, type ? { type } : {});
    form.append(name, blob, basename(path));
  }
  return form;
}

/**
 * The request body from `--json`, `--data` (text, `@file` or `-` for stdin, as curl's), `--form`, or stdin when it
 * is not a terminal. JSON is scanned here once; anything else is streamed, never read whole.
 */
export async function readPayload(flags: PayloadFlags, contentType: string | undefined, stdin: NodeJS.ReadStream): Promise<Payload> {
  const given = [flags.json !== undefined && '--json', flags.data !== undefined && '--data', flags.form?.length && '--form'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`give one payload: ${given.join(' and ')} were both set`);
  const asJson = contentType === undefined || isJsonMediaType(contentType);

  if (flags.json !== undefined) return { json: parseJson(Buffer.from(flags.json), '--json') };
  if (flags.form?.length) return { body: await buildForm(flags.form), curlSource: flags.form.map((f) => `-F '${f.replace(/'/g, `'\\''`)}'`).join(' ') };
  if (flags.data !== undefined) {
    const data = flags.data;
    if (data === '-') return fromStdin(stdin, asJson, '--data -');
    if (data.startsWith('@')) {
      const path = data.slice(1);
      const length = await fileSize(path, '--data');
      if (asJson) return { json: parseJson(await readFile(path), `--data @${path}`) };
      return { body: createReadStream(path), curlSource: `--data-binary @${path}`, length };
    }
    return asJson ? { json: parseJson(Buffer.from(data), '--data') } : { body: data };
  }
  if (!flags.ignoreStdin && !stdin.isTTY) return fromStdin(stdin, asJson, 'stdin');
  return {};
}

async function fromStdin(stdin: NodeJS.ReadStream, asJson: boolean, from: string): Promise<Payload> {
  if (!asJson) return { body: stdin as unknown as Readable, curlSource: '--data-binary @-' };
  const bytes = await readAll(stdin);
  if (bytes.every((byte) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09)) return {};
  return { json: parseJson(bytes, from) };
}
