// The request log's observer of one call: it follows the Router's events (attempts, the deployment that answered),
// taps the reply's body as it passes (bytes, first byte, usage through the provider's reader, the body up to
// BODY_CAP when bodies are kept), and when the body has ended (or failed, or was abandoned) builds the row and hands
// it to `record`. It never buffers a stream beyond the cap, never throws into the call, never delays a byte: the
// row, its cost and the price table are worked out after the body is out. Statically it loads only the usage tap.
// One file (~270 lines): the observer and the body count it keeps share the call's state and its settling.
import type { Deployment } from '../core/deployment.ts';
import type { RouterEvent } from '../router/router.ts';
import type { UpstreamReply } from '../core/reply.ts';
import { followBody } from '../transport/follow-body.ts';
import { atTurnEnd } from './turn-end.ts';
import { usageCounter, type UsageCounter } from './usage-tap.ts';
import { UNKNOWN_USAGE, type Usage } from './usage.ts';
import type { Face, RequestRow } from './log/row.ts';
import type { CallFacts } from './observe-row.ts';

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

/**
 * Another follower of the answer the observer reads (the call's trace): it is told what the observer's one reading
 * found, so the answer is listened to and its usage read once for both.
 */
export interface BodyFollower {
  /** Each chunk, when the follower wants them (a trace keeping the answer's text); undefined otherwise. */
  readonly see: ((chunk: Buffer) => void) | undefined;
  /**
   * The body has ended (`failed`: cut short): its usage as the row has it, the model it named first, when its first
   * chunk came and when it ended (performance.now(); told a turn later at most, see turn-end.ts).
   */
  done(usage: Usage, model: string | undefined, firstChunkAt: number | undefined, failed: boolean, endedAt: number): void;
}

/** A body followed through its relay's own reading (see CallObserver.tap). */
export interface BodyTap {
  readonly see: (chunk: Buffer) => void;
  readonly closed: () => void;
}

/** A tap fed by the body's own events (a chunk listener and a close one), for a reader that does not drive it. */
export function listenWith(reply: UpstreamReply, tap: BodyTap): void {
  reply.body.on('data', tap.see);
  reply.body.once('close', tap.closed);
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
  // What waits for the row, called back rather than promised: the proxy observes every call, and a promise (and its
  // turn of the microtask queue) per call each way was measurable there.
  #isBuilt = false;
  #isDone = false;
  #onBuilt: Array<() => void> | undefined;
  #onDone: Array<() => void> | undefined;

  readonly #rowBuilder: () => Promise<RowBuilder>;

  /**
   * `deployment`: the one that answers, when known before any Router event (an answer observed after the fact).
   * `rowBuilder`: the module that builds the row, when a log brings its own (a one-shot call's, bundled with its store).
   */
  constructor(call: ObservedCall, record: (row: RequestRow) => void | Promise<void>, deployment?: Deployment, rowBuilder: () => Promise<RowBuilder> = loadRowModule) {
    this.call = call;
    this.#record = record;
    this.#deployment = deployment;
    this.#rowBuilder = rowBuilder;
  }

  /** Calls `then` once the row has been handed to `record` (or given up); at once when it has. */
  whenDone(then: () => void): void {
    if (this.#isDone) then();
    else (this.#onDone ??= []).push(then);
  }

  /** Settles once the row is built (before it is recorded): what waits for its cost waits for no writer. */
  get built(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#isBuilt) resolve();
      else (this.#onBuilt ??= []).push(resolve);
    });
  }

  /** The Router's `onEvent` (chain it with the caller's own). */
  readonly onEvent = (event: RouterEvent): void => {
    if (event.type === 'attempt') {
      this.#attempts++;
      this.#deployment = event.deployment;
    } else if (event.type === 'answered') this.#deployment = event.deployment;
  };

  /** The same reply, its body counted as its reader (yet to come: call, batch, the Router's caller) reads it. */
  reply(reply: UpstreamReply): UpstreamReply {
    const count = this.#counting(reply);
    // Cut: the reader went away before the end (a client hung up, output closed, the body destroyed).
    followBody(reply.body, count.see, (how) => this.#finish(count.outcome(how === 'ended' ? null : how === 'cut' ? 'LLMPASS_ABORTED' : errorCodeOf(how))));
    return reply;
  }

  /**
   * Counts a body that a relay reads (the proxy's), told by the relay itself: no listener of its own, so the body's
   * events reach one listener each. The relay calls `see` with each chunk it passes on and `closed` once it is done
   * with the body (ended, failed, or left by its client). `follower` (the call's trace) is told what this reading
   * finds: it needs no listener nor reading of its own.
   */
  tap(reply: UpstreamReply, follower?: BodyFollower): BodyTap {
    const count = this.#counting(reply, follower);
    const body = reply.body;
    let closed = false;
    return {
      see: count.see,
      closed: () => {
        if (closed) return;
        closed = true;
        const endedAt = performance.now();
        const ended = body.readableEnded;
        const errorCode = ended ? null : body.errored ? errorCodeOf(body.errored) : 'LLMPASS_ABORTED';
        // The usage is read and the row built with the turn's others, once it is over (the proxy waits for the row).
        atTurnEnd(() => {
          const outcome = count.outcome(errorCode);
          // Before the row: the proxy ends the request's trace once the row is recorded.
          follower?.done(outcome.usage, count.model, count.firstByteAt, !ended, endedAt);
          this.#finish(outcome, endedAt);
        });
      },
    };
  }

  /** Counts a body that another reader reads (a held answer, a masked one), beside it. */
  watch(reply: UpstreamReply, follower?: BodyFollower): void {
    listenWith(reply, this.tap(reply, follower));
  }

  #counting(reply: UpstreamReply, follower?: BodyFollower): BodyCount {
    // Only a successful answer carries usage (an error's body, a HEAD's empty one do not): no reader for the rest.
    const reader = reply.status < 300 && this.call.method !== 'HEAD' ? this.#deployment?.provider.usage : undefined;
    // A follower wants the answering model too, found in the same reading (an error's body is searched for it).
    return new BodyCount(reply.status, this.#started, usageCounter(reply, reader, follower !== undefined), this.call.bodies, follower?.see);
  }

  /** The call failed without an answer (unreachable, timed out, a mistake in the request). */
  failed(error: unknown): void {
    this.#finish({ status: null, errorCode: errorCodeOf(error), ttfbMs: null, bytesOut: null, usage: { ...UNKNOWN_USAGE }, responseBody: null, responseBodyTruncated: false });
  }

  /** `endedAt`: when the call ended (performance.now()), when that was before now. */
  #finish(outcome: CallOutcome, endedAt = performance.now()): void {
    if (this.#finished) return;
    this.#finished = true;
    const facts = { deployment: this.#deployment, attempts: this.#attempts, startedAt: this.#startedAt, durationMs: endedAt - this.#started };
    // After the body is out: the row module, the cost and the price table load now, off the call's path; once they
    // have, a row is built and recorded in the same turn, without a promise.
    const builder = this.#rowBuilder === loadRowModule ? rowModuleLoaded : undefined;
    if (builder) return this.#buildWith(builder, outcome, facts);
    this.#rowBuilder().then((loaded) => this.#buildWith(loaded, outcome, facts), () => this.#settle(undefined));
  }

  #buildWith(builder: RowBuilder, outcome: CallOutcome, facts: CallFacts): void {
    let row: RequestRow | Promise<RequestRow>;
    try {
      row = builder.buildRow(this.call, outcome, facts);
    } catch {
      return this.#settle(undefined);
    }
    if (row instanceof Promise) row.then((built) => this.#settle(built), () => this.#settle(undefined));
    else this.#settle(row);
  }

  /** The row built (or given up): its waiters called, then it is recorded; a failed record is swallowed. */
  #settle(row: RequestRow | undefined): void {
    this.row = row;
    this.#isBuilt = true;
    for (const then of this.#onBuilt?.splice(0) ?? []) then();
    let recording: void | Promise<void> = undefined;
    try {
      if (row) recording = this.#record(row);
    } catch {
      // logging never fails a call
    }
    if (recording instanceof Promise) recording.catch(() => undefined).finally(() => this.#markDone());
    else this.#markDone();
  }

  #markDone(): void {
    this.#isDone = true;
    for (const then of this.#onDone?.splice(0) ?? []) then();
  }
}

/** One body's figures as it passes: bytes, first byte, usage, and the body itself up to BODY_CAP when kept. */
class BodyCount {
  readonly #status: number;
  readonly #started: number;
  readonly #counter: UsageCounter | undefined;
  readonly #kept: Buffer[] | undefined;
  #keptSize = 0;
  #truncated = false;
  readonly #also: ((chunk: Buffer) => void) | undefined;
  #bytes = 0;
  /** performance.now() of the first chunk. */
  firstByteAt: number | undefined;

  constructor(status: number, started: number, counter: UsageCounter | undefined, keep: boolean, also?: (chunk: Buffer) => void) {
    this.#status = status;
    this.#started = started;
    this.#counter = counter;
    this.#kept = keep ? [] : undefined;
    this.#also = also;
  }

  /** The model the answer named, when a follower asked for it. */
  get model(): string | undefined {
    return this.#counter?.model;
  }

  readonly see = (chunk: Buffer): void => {
    this.firstByteAt ??= performance.now();
    this.#bytes += chunk.length;
    this.#counter?.push(chunk);
    this.#also?.(chunk);
    const kept = this.#kept;
    if (!kept || this.#truncated) return;
    const room = BODY_CAP - this.#keptSize;
    if (chunk.length > room) this.#truncated = true;
    // A copy when cut, so the kept piece does not hold the whole chunk alive.
    const piece = chunk.length > room ? Buffer.from(chunk.subarray(0, room)) : chunk;
    kept.push(piece);
    this.#keptSize += piece.length;
  };

  outcome(errorCode: string | null): CallOutcome {
    return {
      status: this.#status,
      errorCode,
      ttfbMs: this.firstByteAt === undefined ? null : this.firstByteAt - this.#started,
      bytesOut: this.#bytes,
      usage: this.#counter?.end() ?? { ...UNKNOWN_USAGE },
      responseBody: this.#kept ? Buffer.concat(this.#kept) : null,
      responseBodyTruncated: this.#truncated,
    };
  }
}

export type RowBuilder = Pick<typeof import('./observe-row.ts'), 'buildRow'>;

/** Loaded once, after the first answer is out (a dynamic import per call costs a module lookup each time). */
let rowModule: Promise<RowBuilder> | undefined;
let rowModuleLoaded: RowBuilder | undefined;
const loadRowModule = (): Promise<RowBuilder> => (rowModule ??= import('./observe-row.ts').then((loaded) => (rowModuleLoaded = loaded)));

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
