// How an HTTP exchange really ended, seen from a client: a status and a clean end, or an error after some bytes.
// And what a process holds open, read from /proc (Linux), to show that faults leave nothing behind.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface Outcome {
  /** 0 when no answer came. */
  status: number;
  headers: IncomingHttpHeaders;
  /** The header lines as received, names and values alternating. */
  rawHeaders: string[];
  body: Buffer;
  /** The body ended cleanly (complete per its framing). */
  ended: boolean;
  /** Why it did not: a reset, a premature close. */
  error?: string;
  ms: number;
}

export interface OutcomeOptions {
  method?: string;
  /** A record, or [name, value] pairs sent exactly as given (repeated names, any case). */
  headers?: OutgoingHttpHeaders | Array<[string, string]>;
  body?: string | Buffer;
}

/** One request on its own connection, resolving however it ends; never rejects. */
export function exchange(url: string, options: OutcomeOptions = {}): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let rawHeaders: string[] = [];
    let done = false;
    const finish = (ended: boolean, error?: string) => {
      if (done) return;
      done = true;
      resolve({ status, headers, rawHeaders, body: Buffer.concat(chunks), ended, ms: performance.now() - started, ...(error === undefined ? {} : { error }) });
    };
    const sent = Array.isArray(options.headers) ? options.headers.flat() : options.headers;
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: sent, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      headers = res.headers;
      rawHeaders = res.rawHeaders;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => finish(true));
      res.once('error', (error) => finish(false, (error as NodeJS.ErrnoException).code ?? error.message));
      res.once('aborted', () => finish(false, 'aborted'));
      res.once('close', () => finish(res.complete && res.readableEnded, 'closed'));
    });
    req.once('error', (error) => finish(false, (error as NodeJS.ErrnoException).code ?? error.message));
    req.end(options.body);
  });
}

/**
 * Open sockets of a process: what a connection leak would leave. Files are not counted: the proxy opens its request
 * log (the SQLite file, its WAL, its thread's handles) on the first call, which is no leak.
 */
export function openSockets(pid: number): number {
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed between the listing and the look
    }
  }
  return sockets;
}

/** Resident and peak resident memory of a process, in bytes. */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(status.match(new RegExp(`^${name}:\\s*(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Polls until `read()` is at most `limit`, resolving with the last reading (which the caller asserts on). */
export async function settlesTo(read: () => number, limit: number, ms = 3_000): Promise<number> {
  const end = Date.now() + ms;
  let value = read();
  while (value > limit && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = read();
  }
  return value;
}
