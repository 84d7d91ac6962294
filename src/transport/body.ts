import { Readable } from 'node:stream';
import type { BodyInit, UpstreamBody } from '../core/request.ts';

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
