/**
 * The request every face builds and the request as it goes upstream: types only, shared by the faces, the
 * Router, the transport and the providers' hooks (none of which owns them).
 */
import type { Readable } from 'node:stream';
import type { Secret } from '../secret.ts';
import type { Deployment } from './deployment.ts';

/**
 * Request bodies as the transport sees them. JSON is scanned once and its model spliced in (transport/json-body.ts);
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

/** Header shapes a caller may hand over (a record, pairs, web Headers). */
export type HeaderInput = Record<string, string | string[] | undefined> | Array<[string, string]> | Headers | Iterable<[string, string]>;

/** A header whose value holds a credential stays a Secret until the moment of sending. */
export type HeaderValue = string | { secret: Secret; prefix: string };

/** The request as it will go upstream. Credentials are Secrets in `headers`, so printing it is safe. */
export interface UpstreamRequest {
  method: string;
  url: URL;
  headers: Map<string, HeaderValue>;
  body: UpstreamBody | undefined;
  /** Whether the body can be sent again (a retry); a stream cannot. */
  replayable: boolean;
  deployment: Deployment;
}

export type QueryInit = URLSearchParams | Record<string, string | string[]> | Iterable<readonly [string, string]>;

/** The face-neutral request every face builds: the CLI from flags, the proxy from HTTP, the SDK from options. */
export interface PassthroughRequest {
  endpoint: string;
  method?: string | undefined;
  query?: QueryInit | undefined;
  headers?: HeaderInput | undefined;
  /**
   * A JSON value, or JSON text already scanned (a JsonBody, as the CLI and the proxy read it): an object gets its
   * `model` swapped for the upstream model, and nothing else changes.
   */
  json?: unknown;
  /** Any other body, sent as is and streamed when it is a stream. */
  body?: BodyInit | undefined;
  /** The byte length of a streamed body, when known, sent as content-length. */
  bodyLength?: number | undefined;
  /** Set false to leave the JSON body's `model` alone. */
  swapModel?: boolean | undefined;
  /** The alias a path names in the model's place (`models/{alias}:generateContent`): swapped like a body model. */
  pathModel?: string | undefined;
}
