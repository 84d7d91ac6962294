import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
// The hook undici's own request() uses to take an aborted request out of a pool's queue (undici has no public one).
import undiciSymbols from 'undici/lib/core/symbols.js';
import type { ClientOptions, ClosingBody, HttpClient, OutgoingRequest } from './http-client.ts';
import { describeTarget, timerDelay, transportError, upstreamTimeout } from './failure.ts';
import { youngBufferCollector } from './young-buffers.ts';
import type { UpstreamReply } from '../core/reply.ts';

export interface PoolOptions {
  /**
   * Most connections open to one upstream origin (256 by default). Requests beyond it queue inside the pool;
   * the header deadline below starts at the call, so queueing counts against the timeout too.
   */
  connectionsPerOrigin?: number;
  /** Seconds an idle connection is kept alive. */
  keepAliveSeconds?: number;
}

type Controller = Dispatcher.DispatchController;

function abortError(reason: unknown): Error {
  return reason instanceof Error ? reason : Object.assign(new Error('the request was aborted'), { name: 'AbortError' });
}

/** The reply's body: undici's chunks pushed as they arrive, paused while the reader is behind. */
class ReplyBody extends Readable implements ClosingBody {
  readonly #controller: Controller;
  done = false;
  #closed = false;
  #onClosed: Array<() => void> | undefined;

  constructor(controller: Controller) {
    super();
    this.#controller = controller;
  }

  override _read(): void {
    if (this.#controller.paused) this.#controller.resume();
  }

  whenClosed(then: () => void): void {
    if (this.#closed) then();
    else (this.#onClosed ??= []).push(then);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A reader that lets go early (a client gone away) stops the upstream response.
    if (!this.done) {
      this.done = true;
      this.#controller.abort(abortError(error));
    }
    this.#closed = true;
    const waiting = this.#onClosed;
    this.#onClosed = undefined;
    try {
      if (waiting) for (const then of waiting) then();
    } finally {
      // The body closes whatever a callback did.
      callback(error);
    }
  }
}

/**
 * One exchange on undici's dispatch API: the promise settles with the headers, the body then flows through a
 * ReplyBody. (undici's `request()` wraps the same exchange in an AsyncResource handler, a body stream of its
 * own and an abort signal of its own; at proxy rates those cost more than everything the proxy does itself.)
 */
class Exchange implements Dispatcher.DispatchHandler {
  readonly #options: ClientOptions;
  readonly #outgoing: OutgoingRequest;
  readonly #timeoutMs: number | undefined;
  readonly #streamed: (bytes: number) => void;
  readonly #resolve: (reply: UpstreamReply) => void;
  readonly #reject: (error: unknown) => void;
  #controller: Controller | undefined;
  /** Takes the request out of the pool's queue while it waits for a connection (set by undici, see dispatch). */
  cancelQueued: ((reason: Error) => void) | undefined;
  #body: ReplyBody | undefined;
  #failure: Error | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = () => this.#fail(abortError(this.#options.signal.reason));

  constructor(
    outgoing: OutgoingRequest,
    options: ClientOptions,
    streamed: (bytes: number) => void,
    resolve: (reply: UpstreamReply) => void,
    reject: (error: unknown) => void,
  ) {
    this.#options = options;
    this.#outgoing = outgoing;
    this.#timeoutMs = timerDelay(options.timeoutMs);
    this.#streamed = streamed;
    this.#resolve = resolve;
    this.#reject = reject;
    // undici's headersTimeout starts once the request is written; a request waiting for a pooled connection
    // would have no deadline. This one starts now and fails the exchange, queued or sent.
    if (this.#timeoutMs !== undefined) this.#timer = setTimeout(() => this.#fail(this.#timedOut('headers')), this.#timeoutMs);
    options.signal.addEventListener('abort', this.#onAbort);
  }

  /** The undici timers' setting: 0 turns them off. */
  get timerMs(): number {
    return this.#timeoutMs ?? 0;
  }

  #describe(): string {
    return this.#options.target?.() ?? describeTarget(this.#outgoing);
  }

  #timedOut(phase: 'headers' | 'body'): Error {
    return this.#options.onTimeout?.(phase) ?? upstreamTimeout(this.#describe(), phase, this.#timeoutMs!);
  }

  #typed(error: Error, phase: 'connect' | 'body'): Error {
    return transportError(error, this.#describe(), phase, this.#options.signal);
  }

  /**
   * Fails before the headers: rejects now. A request still waiting for a pooled connection leaves the queue at
   * once; started later, its abort would cost the kept-alive connection it was given.
   */
  #fail(cause: Error): void {
    if (this.#failure || this.#body) {
      if (this.#body && !this.#body.done) this.#body.destroy(this.#typed(cause, 'body'));
      return;
    }
    const error = this.#typed(cause, 'connect');
    this.#failure = error;
    clearTimeout(this.#timer);
    this.#stopListening();
    if (this.#controller) this.#controller.abort(error);
    else this.cancelQueued?.(error);
    this.#reject(error);
  }

  readonly #stopListening = () => this.#options.signal.removeEventListener('abort', this.#onAbort);

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#failure) controller.abort(this.#failure);
  }

  onResponseStart(controller: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200 || this.#failure) return;
    const pairs: Array<[string, string]> = [];
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (typeof value === 'string') pairs.push([name, value]);
      else for (const one of value) pairs.push([name, one]);
    }
    const body = new ReplyBody(controller);
    this.#body = body;
    clearTimeout(this.#timer);
    // The caller's abort still ends the body (undici's body timer takes over from the header one).
    body.whenClosed(this.#stopListening);
    this.#resolve({ status: statusCode, statusText: statusMessage ?? '', headers: pairs, body });
  }

  onBodySent(chunk: Buffer | string): void {
    this.#streamed(chunk.length);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.#streamed(chunk.length);
    if (this.#body && !this.#body.push(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    const body = this.#body;
    if (!body) return;
    body.done = true;
    body.push(null);
  }

  onResponseError(_controller: Controller, error: Error): void {
    const code = (error as { code?: string }).code;
    const body = this.#body;
    if (body) {
      if (body.done) return;
      body.done = true;
      // undici reports a silent body as its own error; ours says what to change.
      body.destroy(code === 'UND_ERR_BODY_TIMEOUT' ? this.#timedOut('body') : this.#typed(error, 'body'));
      return;
    }
    if (this.#failure) return;
    this.#fail(code === 'UND_ERR_HEADERS_TIMEOUT' ? this.#timedOut('headers') : error);
  }
}

/**
 * A pooled client for long-lived processes (the proxy, batches): keep-alive connections to each upstream origin
 * (one per request in flight, reused when idle), and undici's own header and body timeouts. Bodies are not
 * decompressed: bytes pass through as the upstream sent them.
 */
export function undiciClient(options: PoolOptions = {}): { client: HttpClient; close: () => Promise<void> } {
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? 256,
    keepAliveTimeout: (options.keepAliveSeconds ?? 30) * 1000,
    pipelining: 1,
  });
  const streamed = youngBufferCollector();
  const client: HttpClient = (outgoing: OutgoingRequest, clientOptions: ClientOptions) =>
    new Promise<UpstreamReply>((resolve, reject) => {
      if (clientOptions.signal.aborted) return reject(transportError(abortError(clientOptions.signal.reason), clientOptions.target?.() ?? describeTarget(outgoing), 'connect', clientOptions.signal));
      const headers: string[] = [];
      for (const [name, value] of outgoing.headers) headers.push(name, value);
      const exchange = new Exchange(outgoing, clientOptions, streamed, resolve, reject);
      try {
        agent.dispatch(
          {
            origin: outgoing.url.origin,
            path: outgoing.url.pathname + outgoing.url.search,
            method: outgoing.method as Dispatcher.HttpMethod,
            headers,
            body: outgoing.body ?? null,
            headersTimeout: exchange.timerMs,
            bodyTimeout: exchange.timerMs,
            // Called (by the pool, then the client) while the request waits for a connection.
            [undiciSymbols.kQueuedAbort]: (cancel: (reason: Error) => void) => {
              exchange.cancelQueued = cancel;
            },
          } as Dispatcher.DispatchOptions,
          exchange,
        );
      } catch (error) {
        exchange.onResponseError(undefined as never, error as Error);
      }
    });
  return { client, close: () => agent.close() };
}
