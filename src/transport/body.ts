import { Readable } from 'node:stream';
import { UsageError } from '../errors.ts';

/**
 * Request bodies as the transport sees them. JSON is parsed once, to swap the model, and serialised once;
 * everything else (audio, files, multipart) is streamed and never held whole in memory.
 */
export type UpstreamBody =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'stream'; stream: ReadableStream<Uint8Array> | Readable; length?: number | undefined }
  | { kind: 'form'; form: FormData };

/** What the library and the commands may hand over as a body. */
export type BodyInit =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | FormData
  | ReadableStream<Uint8Array>
  | Readable
  | AsyncIterable<Uint8Array>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Serialises a JSON body with `model` set to the upstream model, without touching the caller's object. A
 * spread copies own properties as data (a `__proto__` key stays a plain key; Object.assign would set the
 * copy's prototype instead), and the model keeps its place, or comes first when it was absent.
 */
export function serialiseWithModel(value: unknown, model: string | undefined): string {
  try {
    return serialise(value, model);
  } catch (error) {
    // JSON.parse takes any depth, JSON.stringify runs out of stack near ten thousand levels: the caller's fault.
    if (error instanceof RangeError) throw new UsageError('the JSON body is nested too deeply to be rewritten');
    throw error;
  }
}

function serialise(value: unknown, model: string | undefined): string {
  if (model === undefined || !isPlainObject(value)) return JSON.stringify(value);
  return JSON.stringify(Object.hasOwn(value, 'model') ? { ...value, model } : { model, ...value });
}

/** Cheap checks first: touching the FormData global loads Node's internal fetch machinery. */
export function toUpstreamBody(body: BodyInit): UpstreamBody {
  if (typeof body === 'string') return { kind: 'bytes', bytes: new TextEncoder().encode(body) };
  if (body instanceof Uint8Array) return { kind: 'bytes', bytes: body };
  if (body instanceof ArrayBuffer) return { kind: 'bytes', bytes: new Uint8Array(body) };
  if (body instanceof Readable) return { kind: 'stream', stream: body };
  if (body instanceof Blob) return { kind: 'stream', stream: body.stream() as ReadableStream<Uint8Array>, length: body.size };
  if (body instanceof ReadableStream) return { kind: 'stream', stream: body };
  if (body instanceof FormData) return { kind: 'form', form: body };
  return { kind: 'stream', stream: Readable.from(body as AsyncIterable<Uint8Array>, { objectMode: false }) };
}
