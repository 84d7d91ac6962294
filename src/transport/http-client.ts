import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { Readable } from 'node:stream';
import { describeTarget, timerDelay, transportError, upstreamTimeout } from './failure.ts';
import type { UpstreamReply } from '../core/reply.ts';

/** What a client is asked to send: everything resolved, credentials revealed. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Array<[string, string]>;
  body: Uint8Array | Readable | undefined;
}

export interface ClientOptions {
  signal: AbortSignal;
  /** Bounds connecting, waiting for headers, and each silence of the body; past what a timer holds, none. */
  timeoutMs: number;
  /** The error to fail with when the timeout strikes; an UpstreamTimeoutError naming the target by default. */
  onTimeout?: ((phase: 'headers' | 'body') => Error) | undefined;
  /**
   * How a failure names the target: `[POST] "url"` with the api base's own query masked. The outgoing URL may
   * carry a credential (`?code=`), so failures never describe it themselves when this is given.
   */
  target?: (() => string) | undefined;
}

/**
 * Sends one request and resolves once headers arrive; the body then flows through `reply.body`. Every failure,
 * before the headers (a rejection) or after them (`reply.body`'s error), is a NetworkError, an
 * UpstreamTimeoutError or an AbortedError (test/transport/client-contract.test.ts holds both clients to it).
 */
export type HttpClient = (request: OutgoingRequest, options: ClientOptions) => Promise<UpstreamReply>;

/**
 * A reply body that says itself when it is done with (ended and destroyed, failed, or let go): what would
 * otherwise take a 'close' listener per request. The pooled client's bodies are; any other is listened to.
 */
export interface ClosingBody {
  whenClosed(then: () => void): void;
}

function headerPairs(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return pairs;
}

/**
 * The one-shot client: Node's own http/https, already in the runtime. Using it instead of fetch keeps
 * Node's internal undici (tens of milliseconds to load) off the CLI's start-up path.
 */
export const nodeHttpClient: HttpClient = async (outgoing, options) => {
  // getBuiltinModule, not `import 'node:http'`: the ESM wrapper reads every export, and one of them is a lazy
  // getter that loads Node's internal undici (~35 ms of start-up for nothing).
  const send = process.getBuiltinModule(outgoing.url.protocol === 'https:' ? 'node:https' : 'node:http').request;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of outgoing.headers) {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const requestOptions: RequestOptions = { method: outgoing.method, headers, signal: options.signal };
  // The target is described only when something fails (displayUrl is work a successful call does not need).
  const typed = (error: unknown, phase: 'connect' | 'body') => transportError(error, options.target?.() ?? describeTarget(outgoing), phase, options.signal);
  const timeoutMs = timerDelay(options.timeoutMs);
  return new Promise<UpstreamReply>((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const request: ClientRequest = send(outgoing.url, requestOptions);
    if (timeoutMs !== undefined) {
      request.setTimeout(timeoutMs, () => {
        const phase = response ? 'body' : 'headers';
        const error = options.onTimeout?.(phase) ?? upstreamTimeout(options.target?.() ?? describeTarget(outgoing), phase, timeoutMs);
        if (response) response.destroy(error);
        request.destroy(error);
      });
    }
    request.once('error', (error) => {
      if (response) response.destroy(error);
      else reject(typed(error, 'connect'));
    });
    // A 101 to a plain request: Node hands over the socket and emits no response, so without this the call never settles.
    request.once('upgrade', (_incoming, socket) => {
      socket.destroy();
      reject(typed(new Error(`the server switched protocols (101), which llmpass does not relay`), 'connect'));
    });
    request.once('response', (incoming) => {
      response = incoming;
      // Every way the body can fail goes through destroy (Node's own "aborted" reset and a parse error mid-body
      // included): typed there, before the stream keeps the error (a _destroy hook is too late for a reader).
      const destroy = incoming.destroy;
      incoming.destroy = (error?: Error) => destroy.call(incoming, error && typed(error, 'body'));
      // A response cut short of its content-length, or a reset mid-body, must fail, never end quietly.
      incoming.once('aborted', () => incoming.destroy(Object.assign(new Error('the connection closed mid-body'), { code: 'ECONNRESET' })));
      resolve({ status: incoming.statusCode ?? 0, statusText: incoming.statusMessage ?? '', headers: headerPairs(incoming.rawHeaders), body: incoming });
    });
    const body = outgoing.body;
    if (body === undefined) request.end();
    else if (body instanceof Uint8Array) request.end(body);
    else {
      body.once('error', (error) => request.destroy(error));
      body.pipe(request);
    }
  });
};

export function readableFromWeb(stream: ReadableStream<Uint8Array>): Readable {
  return Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>);
}
