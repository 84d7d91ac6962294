import pino, { type Logger } from 'pino';
import type { RequestRecord } from './metrics.ts';

export type AccessLog = Pick<Logger, 'info' | 'warn' | 'error'> & {
  /**
   * Writes one request's line as pino would (`level`, `time`, the fields, `msg`), without pino's generic formatting:
   * that was ~5% of the proxy's CPU under load. Absent (the terminal's pretty log): the line goes through pino.
   */
  requestLine?: (level: 'info' | 'warn', record: RequestRecord) => void;
};

const LEVEL_NUMBER = { info: 30, warn: 40 } as const;

/**
 * pino, one JSON line per request (no bodies, no keys), asynchronous so the request path never waits on the
 * terminal; pretty one-liners when stdout is a terminal.
 */
export async function createAccessLog(options: { pretty: boolean; level?: string }): Promise<{ log: AccessLog; flush: () => Promise<void> }> {
  if (options.pretty) {
    const { default: pretty } = await import('pino-pretty');
    return { log: pino({ level: options.level ?? 'info', base: undefined }, pretty({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname', singleLine: true })), flush: async () => undefined };
  }
  // Lines are gathered here and handed to the destination 32 KiB at a time. One write per line cost ~15% of the
  // proxy's CPU under load; one per 8 KiB still ~3%; and sonic-boom measures its whole pending buffer at every
  // write (Buffer.byteLength of up to 64 KiB of text, flattened first), so even its own gathering cost each line
  // that much. Flushed at least every 200 ms so a quiet proxy's log is still current; pino's own lines (notices)
  // go through the same gathering, in order.
  let pending = '';
  // Registered before the destination is made: pino writes its destination out synchronously at exit (a hook it
  // registers with it), and what is gathered here must reach it first (a second Ctrl-C, an uncaught error).
  handOverAtExit(() => writePending());
  const destination = pino.destination({ sync: false, minLength: 0, maxWrite: 64 * 1024 });
  // A reader that went away (`| head`, a log shipper that died) is not the proxy's failure: lines are dropped.
  let gone = false;
  destination.on('error', () => {
    gone = true;
  });
  // Whether a write handed over is not known to be done: sonic-boom says 'drain' when it has nothing left.
  let unwritten = false;
  destination.on('drain', () => {
    unwritten = false;
  });
  const writePending = () => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (gone) return;
    unwritten = true;
    destination.write(text);
  };
  const gather = (line: string) => {
    pending += line;
    if (pending.length >= BATCH_CHARS) writePending();
  };
  setInterval(writePending, 200).unref();
  // Flushed asynchronously on the way out (run-proxy awaits it, at most FLUSH_WAIT_MS), never with flushSync at
  // exit: sonic-boom's flushSync retries a write to a closed pipe forever, so a proxy whose log reader had gone
  // never exited.
  const flush = () =>
    new Promise<void>((resolve) => {
      writePending();
      if (gone || !unwritten) return resolve();
      const done = () => {
        clearTimeout(timer);
        destination.off('drain', done);
        destination.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, FLUSH_WAIT_MS);
      destination.once('drain', done);
      destination.once('error', done);
    });
  const logger = pino({ level: options.level ?? 'info', base: undefined }, { write: gather });
  const requestLine = (level: 'info' | 'warn', record: RequestRecord): void => {
    if (logger.isLevelEnabled(level)) gather(requestJson(LEVEL_NUMBER[level], record));
  };
  return { log: Object.assign(logger, { requestLine }), flush };
}

/** Characters gathered before they are handed to the destination (lines are ASCII but for what clients send). */
const BATCH_CHARS = 32 * 1024;
/** How long the way out waits for the last lines to be written. */
const FLUSH_WAIT_MS = 2_000;

/** What each access log has gathered, handed to its destination when the process ends (or runs out of work). */
const atExit: Array<() => void> = [];
function handOverAtExit(handOver: () => void): void {
  if (atExit.length === 0) {
    const handOverAll = () => atExit.forEach((each) => each());
    process.on('beforeExit', handOverAll);
    process.on('exit', handOverAll);
  }
  atExit.push(handOver);
}

const text = (value: string): string => JSON.stringify(value);
const number = (value: number): string => (Number.isFinite(value) ? String(value) : 'null');
const tenths = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * A request's line as pino would write it (`level`, `time`, the fields, `msg`), written out field by field: no
 * object to build and serialise per request. Absent fields are left out, as JSON.stringify leaves out undefined.
 */
function requestJson(level: number, record: RequestRecord): string {
  const row = record.observer?.row;
  let line = `{"level":${level},"time":${Date.now()},"method":${text(record.method)},"route":${text(record.route)}`;
  if (record.provider) line += `,"provider":${text(record.provider)}`;
  if (record.alias) line += `,"alias":${text(record.alias)}`;
  if (record.deployment) line += `,"deployment":${text(record.deployment)}`;
  if (record.keyAlias !== undefined) line += `,"key_alias":${text(record.keyAlias)}`;
  line += `,"status":${number(record.status)},"duration_ms":${number(tenths(record.durationMs))}`;
  if (record.ttfbMs !== undefined) line += `,"ttfb_ms":${number(tenths(record.ttfbMs))}`;
  line += `,"bytes_in":${number(record.bytesIn)},"bytes_out":${number(record.bytesOut)}`;
  if (row) {
    if (row.tokens.input !== undefined) line += `,"tokens_in":${number(row.tokens.input)}`;
    if (row.tokens.output !== undefined) line += `,"tokens_out":${number(row.tokens.output)}`;
    if (row.cost !== null) line += `,"cost":${number(row.cost)}`;
  }
  if (record.error !== undefined) line += `,"error":${text(record.error)}`;
  return `${line},"msg":"request"}\n`;
}

export function logRequest(log: AccessLog, record: RequestRecord): void {
  const level = record.status >= 500 ? 'warn' : 'info';
  if (log.requestLine) return log.requestLine(level, record);
  const row = record.observer?.row;
  const line = {
    method: record.method,
    route: record.route,
    provider: record.provider || undefined,
    alias: record.alias || undefined,
    deployment: record.deployment || undefined,
    key_alias: record.keyAlias,
    status: record.status,
    duration_ms: tenths(record.durationMs),
    ttfb_ms: record.ttfbMs === undefined ? undefined : tenths(record.ttfbMs),
    bytes_in: record.bytesIn,
    bytes_out: record.bytesOut,
    tokens_in: row?.tokens.input,
    tokens_out: row?.tokens.output,
    cost: row?.cost ?? undefined,
    error: record.error,
  };
  log[level](line, 'request');
}
