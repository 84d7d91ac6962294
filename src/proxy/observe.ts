import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouterEvent } from '../router/router.ts';
import type { CallTrace } from '../telemetry/index.ts';
import { logRequest, type AccessLog } from './access-log.ts';
import type { ProxyMetrics, RequestRecord } from './metrics.ts';

/**
 * What watches the proxy's requests: each is `started` once and `finished` once, its record complete (after its
 * answer is out or its connection gone), with the Router's events for it in between. Metrics and the access log
 * today; telemetry and the request log hook in here. Runs on the request path: cheap, and never throws.
 */
export interface RequestObserver {
  started(): void;
  routerEvent(event: RouterEvent, record: RequestRecord): void;
  finished(record: RequestRecord): void;
}

export function requestObserver(metrics: ProxyMetrics, log: AccessLog): RequestObserver {
  // A turn's finished requests are counted and logged together once it is over: a response's close, and the
  // requests behind it in the same turn, are not held up by the access line and the histograms.
  const done: RequestRecord[] = [];
  const flush = () => {
    // Taken first: a throw below (a log destination gone) must not leave the turn's list uncleared, or the next
    // push would never schedule a flush again.
    const records = done.splice(0);
    for (const record of records) {
      try {
        metrics.finished(record);
        if (record.observer?.row) metrics.accounted(record.observer.row);
        logRequest(log, record);
      } catch {
        // an observer never fails a request, nor the ones after it
      }
    }
  };
  return {
    started: () => metrics.started(),
    routerEvent(event, record) {
      if (event.type === 'retry') metrics.retried(event.deployment.provider.id);
      if (event.type === 'attempt') record.deployment = event.deployment.id;
    },
    finished(record) {
      if (done.push(record) === 1) setImmediate(flush);
    },
  };
}

/**
 * A request's record, started now and completed when its response closes (durations, bytes, the status a client
 * that left saw), then handed to the observer and the request's trace. A client gone before the end aborts
 * `controller`.
 */
export function observeRequest(req: IncomingMessage, res: ServerResponse, started: number, controller: AbortController, observer: RequestObserver, trace: CallTrace): RequestRecord {
  const socket = req.socket;
  const readBefore = socket.bytesRead;
  const writtenBefore = socket.bytesWritten;
  // Every field set here, the optional ones too: a record that gained them later would change shape per request,
  // and each place that reads records would slow down for all of them (measured: ~10% of a logged call's CPU).
  const record: RequestRecord = { method: req.method ?? 'GET', route: '', provider: '', alias: '', deployment: '', keyAlias: undefined, status: 0, durationMs: 0, ttfbMs: undefined, bytesIn: 0, bytesOut: 0, error: undefined, observer: undefined };
  observer.started();
  // on(), not once(): a response closes once, and once() would wrap the listener for every request.
  res.on('close', () => {
    if (!res.writableFinished) {
      controller.abort();
      record.error ??= 'the client closed the connection';
    }
    const endedAt = performance.now();
    record.durationMs = endedAt - started;
    // A request's bytes often arrive with its headers, before we look: trust content-length when given.
    record.bytesIn = Number(req.headers['content-length']) || socket.bytesRead - readBefore;
    record.bytesOut = socket.bytesWritten - writtenBefore;
    // A client gone before any answer is 499 (nginx's client closed request), not the 200 nobody sent.
    if (record.status === 0) record.status = res.headersSent ? res.statusCode : 499;
    const finished = () => {
      observer.finished(record);
      trace.end(record, endedAt);
    };
    // The row (tokens, cost) is built after the body is out, once the turn is over (accounting/turn-end.ts); the
    // access line, metrics and trace wait for it.
    if (record.observer) record.observer.whenDone(finished);
    else finished();
  });
  return record;
}
