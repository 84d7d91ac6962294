// A lean upstream for batch tests: node:http on loopback, nothing kept per request but counters (200,000 requests
// must not grow the test's own memory), each JSON body answered by a programmable `answer`.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Milliseconds before answering. */
  delayMs?: number;
  /** Never answer (until the client goes away). */
  hang?: boolean;
}

export interface Seen {
  json: unknown;
  path: string;
  headers: IncomingHttpHeaders;
  /** performance.now() when the request arrived. */
  at: number;
}

export type AnswerFn = (seen: Seen, n: number) => Answer;

export interface BatchUpstream {
  url: string;
  /** Requests received so far. */
  count: number;
  inFlight: number;
  /** The most requests in flight at once. */
  peak: number;
  /** Requests whose client went away before the answer. */
  aborted: number;
  /** Every request, when `keep` was set. */
  seen: Seen[];
  /** Sets the peak back to what is in flight now. */
  resetPeak(): void;
  close(): Promise<void>;
}

/** 200 `{"echo": <the JSON body>}` at once: the default answer. */
export const echoBody: AnswerFn = (seen) => ({ body: { echo: seen.json } });

export async function startBatchUpstream(answer: AnswerFn = echoBody, options: { keep?: boolean } = {}): Promise<BatchUpstream> {
  const state: BatchUpstream = {
    url: '',
    count: 0,
    inFlight: 0,
    peak: 0,
    aborted: 0,
    seen: [],
    resetPeak: () => {
      state.peak = state.inFlight;
    },
    close: async () => undefined,
  };
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const n = state.count++;
    state.inFlight += 1;
    state.peak = Math.max(state.peak, state.inFlight);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      state.inFlight -= 1;
    };
    res.once('close', () => {
      if (!res.writableFinished) state.aborted += 1;
      finish();
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      const seen: Seen = { json, path: req.url ?? '/', headers: req.headers, at: performance.now() };
      if (options.keep) state.seen.push(seen);
      const reply = answer(seen, n);
      if (reply.hang) return;
      const send = () => {
        if (res.destroyed) return;
        const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...reply.headers });
        res.end(body);
        finish();
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

/** `n` JSON Lines `{"i": k}` (k from 1), each padded to about `pad` bytes when asked. */
export function jsonl(n: number, pad = 0): string {
  const filler = pad ? 'x'.repeat(pad) : '';
  let out = '';
  for (let i = 1; i <= n; i++) out += pad ? `{"i":${i},"pad":"${filler}"}\n` : `{"i":${i}}\n`;
  return out;
}
