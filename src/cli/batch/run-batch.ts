import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { batchCalls } from '../../batch/batch.ts';
import { DEFAULT_CONCURRENCY, isFailure, type BatchEvent, type BatchResult } from '../../batch/types.ts';
import { AbortedError, UsageError } from '../../errors.ts';
import { loadConfig } from '../../config/load.ts';
import { Router } from '../../router/router.ts';
import { routerStateFromConfig } from '../../router/state/from-config.ts';
import { readResume, type ResumePlan } from './batch-resume.ts';
import { BatchTally, usageNote } from './batch-tally.ts';
import { cliRequestLog, type RequestLog } from '../../accounting/request-log.ts';
import { countPayloadLines, payloadLines, readLineBytes } from './jsonl-input.ts';
import { LineWriter } from './line-writer.ts';
import { decideOutputMode } from '../render/output-mode.ts';
import { loadDotenv } from '../dotenv.ts';
import { stdoutIsFileOrNull } from '../render/stdout-kind.ts';
import { parseHeaders, parseQuery, type CallFlags } from '../call/call-flags.ts';
import { parseSeconds } from '../seconds.ts';
import { isBodyItem, itemHeaders, itemQuery, parseRequestItems } from '../call/request-items.ts';
import { OutputClosedError } from '../render/write.ts';
import type { UpstreamReply } from '../../core/reply.ts';
import { CLI_FLUSH_MS, NO_TELEMETRY, startCliTelemetry, type Telemetry } from '../../telemetry/index.ts';

interface Input {
  stream: Readable;
  /** The file, when the input is one: its lines can be counted for the progress bar. */
  path?: string | undefined;
}

/** `--data @FILE`, `--data -` (stdin), `--data TEXT`, or stdin when it is not a terminal. */
async function openInput(flags: CallFlags): Promise<Input> {
  const data = flags.data;
  if (data === undefined || data === '-') {
    if (data === undefined && (flags['ignore-stdin'] || process.stdin.isTTY)) {
      throw new UsageError('--jsonl reads one JSON payload per line from stdin or --data @FILE; stdin is a terminal (or --ignore-stdin is set)');
    }
    return { stream: process.stdin };
  }
  if (!data.startsWith('@')) return { stream: Readable.from([Buffer.from(data)]) };
  const path = data.slice(1);
  try {
    const handle = await open(path, 'r');
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new UsageError(`--data @${path}: not a file`);
    }
    return { stream: handle.createReadStream(), path };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--data @${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function concurrencyOf(flags: CallFlags): number {
  const value = flags.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--concurrency ${value}: expected a positive whole number`);
  return value;
}

/** One compact JSON line per result: the body alone, or the envelope; a failure is always its envelope. */
function formatResult(result: BatchResult, envelope: boolean): string {
  if (isFailure(result) || envelope) return `${JSON.stringify(result)}\n`;
  return `${JSON.stringify(result.body)}\n`;
}

/**
 * `llmpass call MODEL ENDPOINT --jsonl`: JSON Lines in, one result line out per payload, through the library's
 * batch (`batchCalls`). This file is the terminal's side: input, resume, output with backpressure, the progress
 * bar, Ctrl-C, the summary and the exit code.
 */
export async function runBatch(flags: CallFlags, onDrawing: (stop: () => void) => void): Promise<number> {
  loadDotenv(flags.dotenv);
  const items = parseRequestItems(flags.items ?? []);
  if (items.some(isBodyItem)) throw new UsageError('--jsonl takes each payload from its line: request items may only be Header:Value and name==value');
  const concurrency = concurrencyOf(flags);
  const envelope = Boolean(flags.envelope);
  const ordered = !flags.unordered;
  if (flags.resume !== undefined && !ordered && !envelope) {
    throw new UsageError('--resume needs output that says which line each result answers: add --envelope, or drop --unordered');
  }
  const request = {
    model: flags.model,
    endpoint: flags.endpoint,
    method: flags.method,
    query: [...parseQuery(flags.query), ...itemQuery(items)],
    headers: [...parseHeaders(flags.header), ...itemHeaders(items)],
    swapModel: flags.swap,
    apiBase: flags['api-base'],
    apiKey: flags['api-key'],
    timeout: parseSeconds(flags.timeout, '--timeout'),
    retries: flags.retries,
  };
  const resume: ResumePlan | undefined = flags.resume === undefined ? undefined : await readResume(flags.resume, envelope);
  const input = await openInput(flags);

  // A pooled keep-alive client: a batch is the long-lived case undici's Agent is for (the one-shot call skips it).
  const { undiciClient } = await import('../../transport/undici-client.ts');
  const pool = undiciClient({ connectionsPerOrigin: concurrency });
  const tally = new BatchTally();
  const stop = new AbortController();
  const abort = new AbortController();
  let interrupted = false;
  let outputClosed = false;
  let window: { limit: number; max: number; pauseUntil: number } | undefined;
  let progress: { stop(): void } | undefined;
  let router: Router | undefined;
  let log: RequestLog | undefined;
  let telemetry: Telemetry = NO_TELEMETRY;
  let batchTrace = NO_TELEMETRY.batch('', '');
  const stopDrawing = () => {
    progress?.stop();
    progress = undefined;
  };
  onDrawing(stopDrawing);
  const onInterrupt = () => {
    if (!interrupted) {
      // First Ctrl-C: read no more; what is in flight finishes and is written.
      interrupted = true;
      stop.abort();
      input.stream.destroy();
    } else abort.abort(new AbortedError('interrupted'));
  };
  process.on('SIGINT', onInterrupt);

  try {
    // As a single call does: the proxies' cooldowns and rate limits are shared when the config names a Redis.
    const config = await loadConfig({ configPath: flags.config });
    const shared = await routerStateFromConfig(config);
    const degraded = shared?.report().degraded;
    if (degraded) process.stderr.write(`${flags.bin}: warning: redis unavailable (${degraded.reason}): rate limits and cooldowns are this batch's own\n`);
    log = cliRequestLog('batch', config, flags);
    router = new Router({ config, state: shared, client: pool.client, log });
    // Mistakes that would fail every line (an unknown alias, a missing key, a bad header) fail once, before reading.
    router.prepare({ ...request, json: {} });
    telemetry = await startCliTelemetry(config, flags.bin);
    batchTrace = telemetry.batch(flags.model, flags.endpoint);

    // The bar is drawn where the spinner would be (a sized terminal, outside CI), and only when the results go to a
    // file or /dev/null: on a terminal they are the progress, and through a pipe they may share the terminal.
    const mode = decideOutputMode({
      stdoutIsTTY: Boolean(process.stdout.isTTY),
      stderrIsTTY: Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0,
      env: process.env,
      raw: true,
    });
    const showProgress = flags.progress ?? (mode.spinner && stdoutIsFileOrNull());
    if (showProgress) {
      let lines: number | undefined;
      if (input.path) {
        countPayloadLines(createReadStream(input.path)).then(
          (count) => {
            lines = count;
          },
          () => undefined,
        );
      }
      const { startProgress } = await import('./batch-progress.ts');
      progress = startProgress(process.stderr, {
        tally,
        // Lines a resumed run skips are not to be sent: they leave the total as they are met.
        total: () => (lines === undefined ? undefined : Math.max(0, lines - tally.skipped)),
        note: () => {
          if (abort.signal.aborted) return 'aborting';
          if (interrupted) return 'stopping: finishing the lines in flight (Ctrl-C again to abort them)';
          if (!window || window.limit >= window.max) return undefined;
          const paused = window.pauseUntil - Date.now();
          return `slowed to ${window.limit}/${window.max} by the upstream${paused > 0 ? `, paused ${Math.ceil(paused / 1000)}s` : ''}`;
        },
      });
    }

    const inputs = payloadLines(readLineBytes(input.stream), { done: resume?.done, onSkip: () => (tally.skipped += 1) });
    const writer = new LineWriter(process.stdout);
    const onEvent = (event: BatchEvent) => {
      if (event.type === 'window') window = { limit: event.limit, max: event.max, pauseUntil: Date.now() + event.pauseMs };
      else batchTrace.onEvent(event);
    };
    try {
      const onAnswer = telemetry.enabled ? (line: number, reply: UpstreamReply) => batchTrace.answer(line, reply) : undefined;
      for await (const result of batchCalls(router, inputs, { ...request, concurrency, ordered, stop: stop.signal, signal: abort.signal, onEvent, onAnswer })) {
        tally.add(result);
        batchTrace.lineDone(result.line, isFailure(result) ? { status: result.error.status ?? 0, error: result.error.message } : { status: result.status });
        await writer.write(formatResult(result, envelope));
      }
      await writer.flush();
    } catch (error) {
      if (!(error instanceof OutputClosedError)) throw error;
      // The reader went away (`| head`): nothing more can be written, so nothing more is worth sending.
      outputClosed = true;
      abort.abort(error);
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    stopDrawing();
    input.stream.destroy();
    await router?.close().catch(() => undefined);
    batchTrace.end(tally.failed, interrupted);
    await telemetry.shutdown(CLI_FLUSH_MS);
    if (abort.signal.aborted || outputClosed) void pool.close().catch(() => undefined);
    else await pool.close();
  }

  const notes: string[] = [];
  if (resume?.cutShort) notes.push(`the last line of ${flags.resume} was cut short and was left out: remove it before appending`);
  if (resume?.aborted) notes.push(`${resume.aborted} aborted line${resume.aborted === 1 ? '' : 's'} of ${flags.resume} sent again`);
  const summary = tally.summary({ interrupted, outputClosed, resumedFrom: flags.resume });
  // Said only when some answer reported usage: a batch against an endpoint that reports none gets no token line.
  if (log && log.totals.calls > log.totals.unreported) notes.push(usageNote(log.totals));
  process.stderr.write(`${flags.bin}: ${summary}${notes.length ? `; ${notes.join('; ')}` : ''}\n`);
  return tally.exitCode(interrupted);
}
