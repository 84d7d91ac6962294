import { createReadStream } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { UsageError } from '../../errors.ts';
import { isJsonMediaType } from '../../transport/headers.ts';
import { JsonBodyError, jsonBodyOf, scanJson, type JsonBody } from '../../transport/json-body.ts';
import { formFilePaths } from './form-file-paths.ts';
import { setJsonPath } from './json-path.ts';
import { isBodyItem, type RequestItem } from './request-items.ts';
import type { BodyInit } from '../../core/request.ts';

export interface PayloadFlags {
  json?: string | undefined;
  data?: string | undefined;
  form?: string[] | undefined;
  ignoreStdin?: boolean | undefined;
  /** Whether the command has --header, the way to send a body that is not JSON (`models --check` has not). */
  headerFlag?: boolean | undefined;
  /** Request items after MODEL and ENDPOINT; headers and query items are left to the caller. */
  items?: RequestItem[] | undefined;
}

type BodyItem = Extract<RequestItem, { key: string }>;

export interface Payload {
  json?: JsonBody;
  body?: BodyInit;
  /** The file a streamed body comes from (`-` for stdin), for `--curl`'s `--data-binary @file`. */
  curlSource?: { file: string };
  /** The size of a file body, for content-length and the dry run. */
  length?: number;
}

/** How to send a body that is not JSON, said after the JSON error: --json takes JSON only, --data and stdin any text. */
function notJsonHint(from: string, headerFlag: boolean, bytes: Uint8Array): string {
  if (!headerFlag || bytes.every(isBlank)) return '';
  return from.startsWith('--json') ? "; for a body that is not JSON, use --data with --header 'content-type: ...'" : "; to send it as is, set --header 'content-type: ...'";
}

const isBlank = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** A body is scanned as bytes, never decoded first: invalid UTF-8 is refused, not silently replaced. */
function parseJson(bytes: Uint8Array, from: string, headerFlag = true): JsonBody {
  try {
    return scanJson(bytes, from);
  } catch (error) {
    if (error instanceof JsonBodyError && !error.tooDeep) throw new UsageError(`${error.message}${notJsonHint(from, headerFlag, bytes)}`);
    throw error;
  }
}

/** A request item's JSON value, to be placed inside the body being built. */
function parseValue(text: string, from: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${from} is not valid JSON (${(error as Error).message}); ${hint}`);
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

async function appendFile(form: FormData, name: string, path: string, type: string | undefined, flag: string): Promise<void> {
  await fileSize(path, flag);
  const blob = await openAsBlob(path, type ? { type } : {});
  form.append(name, blob, basename(path));
  formFilePaths.set(form.getAll(name).at(-1) as Blob, path);
}

/** A file's text for a JSON string or a form field: bytes that are not UTF-8 are refused, never replaced by U+FFFD. */
async function readText(path: string, from: string, key: string): Promise<string> {
  await fileSize(path, from);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await readFile(path));
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new UsageError(`${from}: ${path} is not UTF-8 text; to send its bytes, upload it as a file: ${key}@${path}`);
  }
}

/** `--form field=value` and `--form file=@path[;type=audio/wav]` (as curl's -F), then the form's request items. */
async function buildForm(fields: string[], items: BodyItem[]): Promise<FormData> {
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
    await appendFile(form, name, path, options.find((o) => o.startsWith('type='))?.slice(5), '--form');
  }
  for (const item of items) {
    if (item.kind === 'string') form.append(item.key, item.value);
    else if (item.kind === 'string-file') form.append(item.key, await readText(item.path, `${item.key}=@${item.path}`, item.key));
    else if (item.kind === 'upload') await appendFile(form, item.key, item.path, item.type, `${item.key}@${item.path}`);
    else throw new UsageError(`"${item.key}:=..." sets JSON, which a multipart form cannot hold: send it as ${item.key}=value`);
  }
  return form;
}

/** A JSON body built from `key=value`, `key:=json`, ... items, on top of a `--json`/`--data` base when given. */
async function buildJson(base: unknown, items: BodyItem[]): Promise<unknown> {
  if (base !== undefined && (typeof base !== 'object' || base === null)) {
    throw new UsageError('request items add to a JSON object or array, and the --json/--data body is neither');
  }
  let body: unknown = base;
  for (const item of items) {
    const label = `request item "${item.key}"`;
    let value: unknown;
    if (item.kind === 'string') value = item.value;
    else if (item.kind === 'json') value = parseValue(item.value, `${label} (after :=)`, `for a string, write ${item.key}=...`);
    else if (item.kind === 'string-file') value = await readText(item.path, `${item.key}=@${item.path}`, item.key);
    else if (item.kind === 'json-file') value = parseValue(await readText(item.path, `${item.key}:=@${item.path}`, item.key), `${item.path} (${label})`, `for its text, write ${item.key}=@${item.path}`);
    else throw new Error('unreachable: uploads make a form');
    body = setJsonPath(body, item.key, value);
  }
  return body;
}

/**
 * The request body from `--json`, `--data` (text, `@file` or `-` for stdin, as curl's), `--form`, or stdin when it
 * is not a terminal. JSON is scanned here once; anything else is streamed, never read whole.
 */
export async function readPayload(flags: PayloadFlags, contentType: string | undefined, stdin: NodeJS.ReadStream): Promise<Payload> {
  const given = [flags.json !== undefined && '--json', flags.data !== undefined && '--data', flags.form?.length && '--form'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`give one payload: ${given.join(' and ')} were both set`);
  const asJson = contentType === undefined || isJsonMediaType(contentType);
  const items = (flags.items ?? []).filter(isBodyItem);

  if (flags.form?.length || items.some((item) => item.kind === 'upload')) {
    if (given.length && !flags.form?.length) throw new UsageError(`field@file items make a multipart form, which cannot also take ${given[0]}`);
    return { body: await buildForm(flags.form ?? [], items) };
  }
  if (items.length) {
    if (!asJson) throw new UsageError(`request items build a JSON body, but the content-type is ${contentType}: drop one or the other`);
    // Items are the body: stdin is not read (a runner may leave it open), only an explicit base.
    const base = flags.json !== undefined || flags.data !== undefined ? (await readPayload({ json: flags.json, data: flags.data }, contentType, stdin)).json : undefined;
    return { json: jsonBodyOf(await buildJson(base && JSON.parse(Buffer.from(base.bytes).toString('utf8')), items)) };
  }
  if (flags.json !== undefined) {
    if (flags.json === '-') return fromStdin(stdin, true, '--json -');
    if (flags.json.startsWith('@')) {
      await fileSize(flags.json.slice(1), '--json');
      return { json: parseJson(await readFile(flags.json.slice(1)), `--json ${flags.json}`, flags.headerFlag) };
    }
    return { json: parseJson(Buffer.from(flags.json), '--json', flags.headerFlag) };
  }
  if (flags.data !== undefined) {
    const data = flags.data;
    if (data === '-') return fromStdin(stdin, asJson, '--data -');
    if (data.startsWith('@')) {
      const path = data.slice(1);
      const length = await fileSize(path, '--data');
      if (asJson) return { json: parseJson(await readFile(path), `--data @${path}`, flags.headerFlag) };
      return { body: createReadStream(path), curlSource: { file: path }, length };
    }
    return asJson ? { json: parseJson(Buffer.from(data), '--data', flags.headerFlag) } : { body: data };
  }
  if (!flags.ignoreStdin && !stdin.isTTY) return fromStdin(stdin, asJson, 'stdin');
  return {};
}

async function fromStdin(stdin: NodeJS.ReadStream, asJson: boolean, from: string): Promise<Payload> {
  if (!asJson) return { body: stdin as unknown as Readable, curlSource: { file: '-' } };
  const bytes = await readAll(stdin);
  if (bytes.every(isBlank)) {
    // Stdin merely left open means no body; asked for by name (`--json -`), nothing there is a mistake upstream of
    // us (a `jq` that matched nothing), not a request to send without a body.
    if (from === 'stdin') return {};
    throw new UsageError(`${from}: stdin was empty: pipe the body in, or drop ${from.split(' ')[0]} to send none`);
  }
  return { json: parseJson(bytes, from) };
}
