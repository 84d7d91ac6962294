// A face's request log: where rows go and whether bodies are kept, decided from flags, the environment and the
// config (LiteLLM's general_settings keys: `disable_spend_logs`, `store_prompts_in_spend_logs`, `database_url`,
// plus `log_retention_days`), one CallObserver per call, and the writer, which loads (with its store and driver)
// when the first row is recorded: after the first answer is out.
import type { Config } from '../config/load.ts';
import type { RouterPassthroughOptions } from '../router/router.ts';
import { headerPairs } from '../transport/headers.ts';
import type { LogWriter, WriterStatus } from './log/writer.ts';
import { logTarget } from './log/open.ts';
import type { Face, RequestRow } from './log/row.ts';
import { CallObserver, type ObservedCall } from './observe.ts';

export interface RequestLogSettings {
  /** An SQLite path or a postgres:// URL. */
  target: string;
  /** Whether request and response bodies (and masked request headers) are kept, up to 1 MiB each. */
  bodies: boolean;
  retentionDays?: number | undefined;
  /** Rows held in memory while the store is slow or down (`log_queue_rows`); more are dropped and counted. */
  queueRows?: number | undefined;
  /** A one-shot call's row waits beside the SQLite file until this many have (`log_fold_every`; 1: written at once). */
  foldEvery?: number | undefined;
}

export interface RequestLogSources {
  config: Config | undefined;
  env: NodeJS.ProcessEnv;
  /** `--no-log`. */
  off?: boolean | undefined;
  /** Whether bodies are kept unless the config says (`call`: yes, for replay; the proxy: no). */
  bodiesByDefault: boolean;
}

/** Tokens and cost over the rows recorded, unknown and unpriced counted apart (never as 0). */
export interface LogTotals {
  calls: number;
  input: number;
  output: number;
  /** Calls whose answer reported no usage. */
  unreported: number;
  cost: number;
  /** Calls with usage but no price. */
  unpriced: number;
}

const truthy = (value: unknown) => value === true || (typeof value === 'string' && /^(true|yes|on|1)$/i.test(value));

/** The settings, or undefined when logging is off (`--no-log`, `LLMPASS_LOG=off`, `disable_spend_logs: true`). */
export function requestLogSettings({ config, env, off, bodiesByDefault }: RequestLogSources): RequestLogSettings | undefined {
  const general = (config?.raw.general_settings ?? {}) as Record<string, unknown>;
  if (off || /^(off|false|0|no)$/i.test(env.LLMPASS_LOG ?? '') || truthy(general.disable_spend_logs)) return undefined;
  let configured = typeof general.database_url === 'string' && general.database_url !== '' ? general.database_url : undefined;
  if (configured?.startsWith('os.environ/')) configured = config?.env(configured.slice('os.environ/'.length));
  const storeBodies = general.store_prompts_in_spend_logs;
  const retention = Number(general.log_retention_days ?? Number.NaN);
  const queueRows = Number(general.log_queue_rows ?? Number.NaN);
  const foldEvery = Number(general.log_fold_every ?? Number.NaN);
  return {
    target: logTarget({ configured, env }),
    bodies: storeBodies === undefined || storeBodies === null ? bodiesByDefault : truthy(storeBodies),
    retentionDays: Number.isFinite(retention) && retention >= 0 ? retention : undefined,
    queueRows: Number.isInteger(queueRows) && queueRows > 0 ? queueRows : undefined,
    foldEvery: Number.isInteger(foldEvery) && foldEvery >= 0 ? foldEvery : undefined,
  };
}

export interface RequestLogOptions extends RequestLogSettings {
  face: Face;
  /** One line per writer episode (store down, back, queue full). */
  onNotice?: ((message: string) => void) | undefined;
  /** Hears every row as it is recorded (the proxy's metrics and access log). */
  onRow?: ((row: RequestRow) => void) | undefined;
  /** How long close() waits for the last rows (default 2 s: a one-shot call exits soon after its answer). */
  closeDeadlineMs?: number | undefined;
  /** The row every call of this log replays (`llmpass replay`). */
  replayOf?: string | undefined;
  /**
   * A process that makes one call and exits (`llmpass call`): its rows are held until close(), then written at once
   * (log/one-shot.ts), without the writer's ring, timers and retry loop, which only pay for a long-lived process.
   */
  oneShot?: boolean | undefined;
}

/** Extra facts one call's row carries. */
export type CallNote = Partial<Pick<ObservedCall, 'replayOf' | 'keyAlias' | 'face' | 'bodies' | 'requestHeaders' | 'requestBody' | 'bytesIn'>> & {
  /** Hears this call's row once built (a virtual key's spend), before it is written. */
  onRow?: ((row: RequestRow) => void) | undefined;
};

export class RequestLog {
  readonly options: RequestLogOptions;
  readonly totals: LogTotals = { calls: 0, input: 0, output: 0, unreported: 0, cost: 0, unpriced: 0 };
  #writer: Promise<LogWriter> | undefined;
  /** A one-shot log's rows, written by close(). */
  readonly #held: RequestRow[] = [];
  /** Observers whose rows are not recorded yet, and what close() waits on for them. */
  #inFlight = 0;
  #onIdle: (() => void) | undefined;
  /** The writer once open: rows go to it in the turn they are built. */
  #openWriter: LogWriter | undefined;

  constructor(options: RequestLogOptions) {
    this.options = options;
  }

  /** An observer for one call through the Router (it reads the request from the call's options). */
  observe(options: RouterPassthroughOptions, note: CallNote = {}): CallObserver {
    const bodies = note.bodies ?? this.options.bodies;
    const query = options.query ? new URLSearchParams(options.query as ConstructorParameters<typeof URLSearchParams>[0]).toString() : '';
    const observer = new CallObserver(
      {
        face: note.face ?? this.options.face,
        method: (options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET')).toUpperCase(),
        model: options.model,
        endpoint: query ? `${options.endpoint}?${query}` : options.endpoint,
        bodies,
        requestHeaders: bodies ? (note.requestHeaders ?? headerPairs(options.headers)) : undefined,
        // Read only when bodies are kept: a metadata row holds no closure over the request.
        requestBody: bodies ? (note.requestBody ?? (() => requestBodyOf(options))) : undefined,
        bytesIn: note.bytesIn,
        replayOf: note.replayOf ?? this.options.replayOf,
        keyAlias: note.keyAlias,
      },
      note.onRow ? (row) => this.#recordAnd(row, note.onRow!) : (row) => this.#record(row),
      undefined,
      this.options.oneShot && this.options.target ? loadOneShot : undefined,
    );
    this.#inFlight++;
    observer.whenDone(() => {
      if (--this.#inFlight === 0) this.#onIdle?.();
    });
    return observer;
  }

  /** The writer's state, once it exists (for /health/readiness and /metrics). */
  async status(): Promise<WriterStatus | undefined> {
    return this.#writer ? (await this.#writer).status() : undefined;
  }

  /** Rows of the calls still being observed, then what is queued, written within the deadline; the rest counted dropped. */
  async close(deadlineMs = this.options.closeDeadlineMs ?? 2_000): Promise<WriterStatus | undefined> {
    const deadline = Date.now() + deadlineMs;
    if (this.#inFlight) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#onIdle = resolve;
        timer = setTimeout(resolve, deadlineMs).unref();
      });
      clearTimeout(timer);
      this.#onIdle = undefined;
    }
    if (this.#held.length) {
      const rows = this.#held.splice(0);
      return (await loadOneShot()).writeRows(this.options.target, rows, { retentionDays: this.options.retentionDays, deadline, onNotice: this.options.onNotice, foldEvery: this.options.foldEvery });
    }
    if (!this.#writer) return undefined;
    const writer = await this.#writer;
    return writer.close(Math.max(100, deadline - Date.now()));
  }

  /** The row recorded even when the face's own hearer (a key's spend booking) throws. */
  #recordAnd(row: RequestRow, onRow: (row: RequestRow) => void): void | Promise<void> {
    try {
      onRow(row);
    } catch {
      // booking never fails a call, nor its row
    }
    return this.#record(row);
  }

  #record(row: RequestRow): void | Promise<void> {
    this.#count(row);
    this.options.onRow?.(row);
    // No target: a log that only counts (a batch's summary with logging off).
    if (!this.options.target) return;
    if (this.options.oneShot) {
      this.#held.push(row);
      return;
    }
    if (this.#openWriter) return this.#openWriter.record(row);
    this.#writer ??= openWriter(this.options).then((writer) => (this.#openWriter = writer));
    return this.#writer.then((writer) => writer.record(row));
  }

  #count(row: RequestRow): void {
    const totals = this.totals;
    totals.calls++;
    const { input, output } = row.tokens;
    if (input === undefined && output === undefined) totals.unreported++;
    totals.input += input ?? 0;
    totals.output += output ?? 0;
    if (row.cost !== null) totals.cost += row.cost;
    else if (input !== undefined || output !== undefined) totals.unpriced++;
  }
}

/** The one-shot path, row builder included: one import after the answer is out. */
let oneShotModule: Promise<typeof import('./log/one-shot.ts')> | undefined;
const loadOneShot = () => (oneShotModule ??= import('./log/one-shot.ts'));

async function openWriter(options: RequestLogOptions): Promise<LogWriter> {
  const [{ LogWriter }, { openLogStore }] = await Promise.all([import('./log/writer.ts'), import('./log/open.ts')]);
  return new LogWriter({ open: () => openLogStore(options.target, { thread: options.face === 'proxy' }), capacity: options.queueRows, retentionDays: options.retentionDays, onNotice: options.onNotice });
}

/** The request body as sent, when it can be kept (a stream is not held back for the log). */
function requestBodyOf(options: RouterPassthroughOptions): Uint8Array | string | null {
  const json = options.json as { bytes?: unknown } | undefined;
  if (json !== undefined) {
    if (json !== null && json.bytes instanceof Uint8Array) return json.bytes;
    try {
      return JSON.stringify(options.json);
    } catch {
      return null;
    }
  }
  return typeof options.body === 'string' || options.body instanceof Uint8Array ? options.body : null;
}

/**
 * The log of `call` and `--jsonl` batches: bodies kept for replay; off with --no-log, LLMPASS_LOG=off or the config.
 * Off, a batch still counts its tokens and cost for its summary, in memory only.
 */
export function cliRequestLog(face: 'call' | 'batch', config: Config, flags: { log?: boolean | undefined; replayOf?: string | undefined }): RequestLog | undefined {
  const settings = requestLogSettings({ config, env: process.env, off: flags.log === false, bodiesByDefault: true });
  if (!settings && face === 'batch') return new RequestLog({ target: '', bodies: false, face });
  return settings && new RequestLog({ ...settings, face, replayOf: flags.replayOf, closeDeadlineMs: face === 'batch' ? 10_000 : 2_000, oneShot: face === 'call', onNotice: (message) => process.stderr.write(`llmpass: ${message}\n`) });
}

/**
 * The proxy's observer of one call: its row in the log when there is one; without a log, a keyed call is observed
 * all the same for `onRow` (its key's spend), and no row is written.
 */
export function observeProxyCall(
  log: RequestLog | undefined,
  call: { method: string; endpoint: string; headers: Array<[string, string]>; keyAlias: string | undefined; bytesIn: string | undefined },
  onRow: ((row: RequestRow) => void) | undefined,
): CallObserver | undefined {
  // The request's size as its content-length says (a chunked body's is unknown): a metadata row holds no body to measure.
  const bytesIn = call.bytesIn === undefined ? undefined : Number(call.bytesIn);
  const note = { keyAlias: call.keyAlias, bytesIn: Number.isSafeInteger(bytesIn) ? bytesIn : undefined };
  if (log) return log.observe({ model: '', endpoint: call.endpoint, method: call.method, headers: call.headers }, { ...note, onRow });
  return onRow && new CallObserver({ face: 'proxy', method: call.method, model: '', endpoint: call.endpoint, bodies: false, ...note }, onRow);
}

/**
 * The proxy's log, on by default: metadata only unless `store_prompts_in_spend_logs`; the local SQLite file (written
 * from its own thread), or PostgreSQL by DATABASE_URL or `database_url`.
 */
export function proxyRequestLog(config: Config, env: NodeJS.ProcessEnv, onNotice: (message: string) => void): RequestLog | undefined {
  const settings = requestLogSettings({ config, env, bodiesByDefault: false });
  return settings && new RequestLog({ ...settings, face: 'proxy', onNotice });
}
