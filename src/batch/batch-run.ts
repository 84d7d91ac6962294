import { AdaptiveWindow } from './adaptive-window.ts';
import { callLine, type LineRequest } from './call-line.ts';
import { DEFAULT_CONCURRENCY, type BatchInput, type BatchOptions, type BatchResult, type CallSender } from './types.ts';

/**
 * Finished results that may wait for an earlier line, in windows: with ordered output a slow line holds up at most
 * this many windows' worth of later ones, so memory stays bounded while a straggler does not stall the whole batch.
 */
const REORDER_WINDOWS = 4;

type Step = IteratorResult<BatchInput, unknown>;

/**
 * One batch: pulls inputs only while the window has room, runs each through `callLine`, and hands results out
 * in input order or as they finish. Nothing is read ahead, so memory is bounded by the window however long the
 * input. Requests are started from completions, not from the consumer, so a consumer waiting on a slow stdout
 * does not leave the window idle (it only stops new reads once the reorder buffer is full).
 */
export class BatchRun {
  readonly #sender: CallSender;
  readonly #request: LineRequest;
  readonly #onEvent: BatchOptions['onEvent'];
  readonly #onAnswer: BatchOptions['onAnswer'];
  readonly #iterator: AsyncIterator<BatchInput> | Iterator<BatchInput>;
  readonly #window: AdaptiveWindow;
  readonly #ordered: boolean;
  readonly #bufferLimit: number;
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal;
  /** Results of ordered lines by their position in the input, until the ones before them are out. */
  readonly #finished = new Map<number, BatchResult>();
  /** Results of unordered lines, in the order they finished. */
  readonly #queue: BatchResult[] = [];
  #nextIn = 0;
  #nextOut = 0;
  /** Inputs taken and not yet handed out: in flight, or finished and waiting. */
  #outstanding = 0;
  #inFlight = 0;
  #reading = false;
  #inputDone = false;
  #stopped = false;
  #inputError: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  #pauseTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #unlisten: () => void;

  constructor(sender: CallSender, inputs: AsyncIterable<BatchInput> | Iterable<BatchInput>, options: BatchOptions) {
    const { concurrency, ordered, stop, signal, maxPauseMs, onEvent, onAnswer, ...request } = options;
    this.#sender = sender;
    this.#request = request;
    this.#onEvent = onEvent;
    this.#onAnswer = onAnswer;
    this.#iterator = Symbol.asyncIterator in inputs ? inputs[Symbol.asyncIterator]() : inputs[Symbol.iterator]();
    this.#window = new AdaptiveWindow(concurrency ?? DEFAULT_CONCURRENCY, { maxPauseMs });
    this.#ordered = ordered !== false;
    this.#bufferLimit = this.#window.max * REORDER_WINDOWS;
    // One plain signal for every request (a composite AbortSignal.any costs more on each of them).
    this.#signal = this.#abort.signal;
    const halt = () => {
      this.#stopped = true;
      this.#wakeUp();
    };
    const forward = () => this.#abort.abort(signal?.reason);
    if (signal?.aborted) forward();
    if (stop?.aborted || this.#signal.aborted) this.#stopped = true;
    signal?.addEventListener('abort', forward, { once: true });
    stop?.addEventListener('abort', halt, { once: true });
    this.#signal.addEventListener('abort', halt, { once: true });
    this.#unlisten = () => {
      signal?.removeEventListener('abort', forward);
      stop?.removeEventListener('abort', halt);
    };
  }

  /** The results, each once; ends when the input is done (or reading stopped) and nothing is outstanding. */
  async *results(): AsyncGenerator<BatchResult, void, undefined> {
    try {
      this.#fill();
      for (;;) {
        const next = this.#takeFinished();
        if (next) {
          this.#outstanding -= 1;
          this.#fill();
          yield next;
          continue;
        }
        if (this.#outstanding === 0 && (this.#inputDone || this.#stopped)) {
          if (this.#inputError && !this.#stopped) throw this.#inputError.error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      this.#close();
    }
  }

  #takeFinished(): BatchResult | undefined {
    if (!this.#ordered) return this.#queue.shift();
    const next = this.#finished.get(this.#nextOut);
    if (next === undefined) return undefined;
    this.#finished.delete(this.#nextOut);
    this.#nextOut += 1;
    return next;
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Starts inputs while the window, the reorder buffer and any Retry-After pause allow. */
  #fill(): void {
    while (!this.#reading && !this.#inputDone && !this.#stopped && this.#outstanding < this.#bufferLimit && this.#inFlight < this.#window.limit) {
      const pause = this.#window.pausedFor();
      if (pause > 0) {
        this.#pauseTimer ??= setTimeout(() => {
          this.#pauseTimer = undefined;
          this.#fill();
        }, pause);
        return;
      }
      this.#reading = true;
      let step: Step | Promise<Step>;
      try {
        step = this.#iterator.next();
      } catch (error) {
        this.#readFailed(error);
        return;
      }
      if (typeof (step as Promise<Step>).then === 'function') {
        (step as Promise<Step>).then(
          (value) => {
            this.#take(value);
            this.#fill();
          },
          (error: unknown) => this.#readFailed(error),
        );
        return;
      }
      this.#take(step as Step);
    }
  }

  #readFailed(error: unknown): void {
    this.#reading = false;
    this.#inputDone = true;
    this.#inputError = { error };
    this.#wakeUp();
  }

  #take(step: Step): void {
    this.#reading = false;
    // Read after a stop: never started, so never reported (a resumed run sends it).
    if (this.#stopped) return;
    if (step.done) {
      this.#inputDone = true;
      this.#wakeUp();
      return;
    }
    const input = step.value;
    const position = this.#nextIn++;
    this.#outstanding += 1;
    if ('error' in input) {
      this.#finish(position, { line: input.line, error: input.error });
      return;
    }
    this.#inFlight += 1;
    let round = this.#window.round;
    const onEvent = this.#onEvent;
    const onAnswer = this.#onAnswer;
    void callLine(this.#sender, input.line, input.payload, this.#request, this.#signal, {
      overloaded: (retryAfterMs) => {
        round = this.#window.slowDown(round, retryAfterMs);
        onEvent?.({ type: 'window', limit: this.#window.limit, max: this.#window.max, pauseMs: this.#window.pausedFor() });
      },
      answered: () => {
        if (this.#window.grow()) onEvent?.({ type: 'window', limit: this.#window.limit, max: this.#window.max, pauseMs: 0 });
      },
      onEvent: onEvent && ((event) => onEvent({ ...event, line: input.line })),
      reading: onAnswer && ((reply) => onAnswer(input.line, reply)),
    }).then((result) => {
      this.#inFlight -= 1;
      this.#finish(position, result);
      this.#fill();
    });
  }

  #finish(position: number, result: BatchResult): void {
    if (this.#ordered) this.#finished.set(position, result);
    else this.#queue.push(result);
    this.#wakeUp();
  }

  /** The consumer is done (or gave up): abort what is still in flight, and let the input go. */
  #close(): void {
    this.#stopped = true;
    this.#unlisten();
    if (this.#pauseTimer) clearTimeout(this.#pauseTimer);
    if (this.#inFlight > 0) this.#abort.abort();
    if (!this.#reading) void Promise.resolve(this.#iterator.return?.()).catch(() => undefined);
  }
}
