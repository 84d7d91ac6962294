import pino, { type Logger } from 'pino';
import type { RequestRecord } from './metrics.ts';

export type AccessLog = Pick<Logger, 'info' | 'warn' | 'error'> & {
  /**
   * Writes one request's line as pino would (`level`, `time`, the fields, `msg`), without pino's generic formatting:
   * that was ~5% of the proxy's CPU under load. Absent (the terminal's pretty log): the line goes through pino.
   */
  requestLine?: (level: 'info' | 'warn', fields: Record<string, unknown>) => void;
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
  // Lines are gathered and written 32 KiB at a time (one write per line cost ~15% of the proxy's CPU under load,
  // one per 8 KiB still ~3%), and flushed at least every 200 ms so a quiet proxy's log is still current.
  const destination = pino.destination({ sync: false, minLength: 32 * 1024, maxWrite: 64 * 1024 });
  // A reader that went away (`| head`, a log shipper that died) is not the proxy's failure: lines are dropped.
  let gone = false;
  destination.on('error', () => {
    gone = true;
  });
  setInterval(() => {
    if (!gone) destination.flush();
  }, 200).unref();
  // Flushed asynchronously on the way out (run-proxy awaits it), never with flushSync at exit: sonic-boom's
  // flushSync retries a write to a closed pipe forever, so a proxy whose log reader had gone never exited.
  const flush = () =>
    new Promise<void>((resolve) => {
      if (gone) return resolve();
      destination.flush(() => resolve());
    });
  const logger = pino({ level: options.level ?? 'info', base: undefined }, destination);
  const requestLine = (level: 'info' | 'warn', fields: Record<string, unknown>): void => {
    if (!logger.isLevelEnabled(level)) return;
    // JSON.stringify leaves out undefined fields, as pino does; the record always has some fields.
    const json = JSON.stringify(fields);
    destination.write(`{"level":${LEVEL_NUMBER[level]},"time":${Date.now()},${json.slice(1, -1)},"msg":"request"}\n`);
  };
  return { log: Object.assign(logger, { requestLine }), flush };
}

export function logRequest(log: AccessLog, record: RequestRecord): void {
  const line = {
    method: record.method,
    route: record.route,
    provider: record.provider || undefined,
    alias: record.alias || undefined,
    deployment: record.deployment || undefined,
    key_alias: record.keyAlias,
    status: record.status,
    duration_ms: Math.round(record.durationMs * 10) / 10,
    ttfb_ms: record.ttfbMs === undefined ? undefined : Math.round(record.ttfbMs * 10) / 10,
    bytes_in: record.bytesIn,
    bytes_out: record.bytesOut,
    tokens_in: record.observer?.row?.tokens.input,
    tokens_out: record.observer?.row?.tokens.output,
    cost: record.observer?.row?.cost ?? undefined,
    error: record.error,
  };
  const level = record.status >= 500 ? 'warn' : 'info';
  if (log.requestLine) log.requestLine(level, line);
  else log[level](line, 'request');
}
