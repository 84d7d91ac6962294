// The request log's observer of one call: it follows the Router's events (attempts, the deployment that answered),
// taps the reply's body as it passes (bytes, first byte, usage through the provider's reader, the body up to
// BODY_CAP when bodies are kept), and when the body has ended (or failed, or was abandoned) builds the row and hands
// it to `record`. It never buffers a stream beyond the cap, never throws into the call, never delays a byte: the
// row, its cost and the price table are worked out after the body is out. Statically it loads only the usage tap.
import { Transform } from 'node:stream';
import type { Deployment } from '../core/deployment.ts';
import type { RouterEvent } from '../router/router.ts';
import type { UpstreamReply } from '../core/reply.ts';
import { UsageCounter } from './usage-tap.ts';
import { UNKNOWN_USAGE, type Usage } from './usage.ts';
import type { Face, RequestRow } from './log/row.ts';

/** Bodies are kept up to this size (row.ts' BODY_CAP, repeated so the tap loads nothing more). */
const BODY_CAP = 1024 * 1024;

export interface ObservedCall {
  face: Face;
  method: string;
  /** The model as the caller named it (an alias, or `provider/model`). */
  model: string;
  /** The endpoint as the caller wrote it, query included. */
  endpoint: string;
  /** Whether request and response bodies (and the request's headers, masked) are stored. */
  bodies: boolean;
  requestHeaders?: ReadonlyArray<readonly [string, string]> | undefined;
  /** The request body, when bodies are kept (read lazily: it is serialised after the answer). */
  requestBody?: (() => Uint8Array | string | null | undefined) | undefined;
  /** The request body's size, when known. */
  bytesIn?: number | undefined;
  replayOf?: string | undefined;
  keyAlias?: string | undefined;
}

/** What the row's end says: the figures the tap counted, and how the body ended. */
export interface CallOutcome {
  status: number | null;
  errorCode: string | null;
  ttfbMs: number | null;
  bytesOut: number | null;
  usage: Usage;
  responseBody: Buffer | null;
  responseBodyTruncated: boolean;
}

/** Follows one call; `record` gets its row once (a failed `record` is swallowed: logging never fails a call). */
export class CallObserver {
  /** The call's facts; a face that learns them late (the proxy's alias, its body) fills them in before the row is built. */
  readonly call: ObservedCall;
  /** The row, once recorded. */
  row: RequestRow | undefined;
  readonly #record: (row: RequestRow) => void | Promise<void>;
  readonly #startedAt = Date.now();
  readonly #started = performance.now();
  #attempts = 0;
  #deployment: Deployment | undefined;
  #finished = false;
  /** Settles when the row has been handed to `record` (or given up). */
  readonly done: Promise<void>;
  #resolveDone!: () => void;

  constructor(call: ObservedCall, record: (row: RequestRow) => void | Promise<void>) {
    this.call = call;
    this.#record = record;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** The Router's `onEvent` (chain it with the caller's own). */
  readonly onEvent = (event: RouterEvent): void => {
    if (event.type === 'attempt') {
      this.#attempts++;
      this.#deployment = event.deployment;
    } else if (event.type === 'answered') this.#deployment = event.deployment;
  };

  /** The same reply, its body counted on its way; the row is recorded when the body ends, fails or is abandoned. */
  reply(reply: UpstreamReply): UpstreamReply {
    const usageReader = this.#deployment?.provider.usage;
    const counter = usageReader ? new UsageCounter(reply.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '', usageReader) : undefined;
    const kept: Buffer[] | undefined = this.call.bodies ? [] : undefined;
    let keptSize = 0;
    let truncated = false;
    let bytes = 0;
    let firstByteAt: number | undefined;
    const outcome = (errorCode: string | null): CallOutcome => ({
      status: reply.status,
      errorCode,
      ttfbMs: firstByteAt === undefined ? null : firstByteAt - this.#started,
      bytesOut: bytes,
      usage: counter?.end() ?? { ...UNKNOWN_USAGE },
      responseBody: kept ? Buffer.concat(kept) : null,
      responseBodyTruncated: truncated,
    });
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        firstByteAt ??= performance.now();
        bytes += chunk.length;
        counter?.push(chunk);
        if (kept && !truncated) {
          const room = BODY_CAP - keptSize;
          if (chunk.length > room) truncated = true;
          const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
          // A copy when cut, so the kept piece does not hold the whole chunk alive.
          kept.push(piece === chunk ? chunk : Buffer.from(piece));
          keptSize += piece.length;
        }
        callback(null, chunk);
      },
      flush: (callback) => {
        this.#finish(outcome(null));
        callback();
      },
    });
    const body = reply.body;
    body.once('error', (error) => {
      this.#finish(outcome(errorCodeOf(error)));
      tap.destroy(error);
    });
    tap.once('close', () => {
      if (!body.readableEnded) body.destroy();
      // The reader went away before the end (a client hung up, output closed).
      this.#finish(outcome('LLMPASS_ABORTED'));
    });
    body.pipe(tap);
    return { ...reply, body: tap };
  }

  /** The call failed without an answer (unreachable, timed out, a mistake in the request). */
  failed(error: unknown): void {
    this.#finish({ status: null, errorCode: errorCodeOf(error), ttfbMs: null, bytesOut: null, usage: { ...UNKNOWN_USAGE }, responseBody: null, responseBodyTruncated: false });
  }

  #finish(outcome: CallOutcome): void {
    if (this.#finished) return;
    this.#finished = true;
    const durationMs = performance.now() - this.#started;
    // After the body is out: the row module, the cost and the price table load now, off the call's path.
    void (async () => {
      const row = await (await (rowModule ??= import('./observe-row.ts'))).buildRow(this.call, outcome, { deployment: this.#deployment, attempts: this.#attempts, startedAt: this.#startedAt, durationMs });
      this.row = row;
      await this.#record(row);
    })()
      .catch(() => undefined)
      .finally(this.#resolveDone);
  }
}

/** Loaded once, after the first answer is out (a dynamic import per call costs a module lookup each time). */
let rowModule: Promise<typeof import('./observe-row.ts')> | undefined;

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('LLMPASS_') ? code : 'LLMPASS_ERROR';
}

/** Sends through `send` with the observer following it: its events, its reply's body, or its failure. */
export async function observeSend<Options extends { onEvent?: ((event: RouterEvent) => void) | undefined }>(
  observer: CallObserver,
  options: Options,
  send: (options: Options) => Promise<UpstreamReply>,
): Promise<UpstreamReply> {
  const onEvent = options.onEvent;
  try {
    const reply = await send({ ...options, onEvent: onEvent ? (event: RouterEvent) => (observer.onEvent(event), onEvent(event)) : observer.onEvent });
    return observer.reply(reply);
  } catch (error) {
    observer.failed(error);
    throw error;
  }
}
