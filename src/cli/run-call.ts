import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AbortedError, OutputError, UsageError } from '../errors.ts';
import { loadConfig } from '../config/load.ts';
import { Router, type RouterEvent } from '../router/router.ts';
import { routerStateFromConfig } from '../router/state/from-config.ts';
import { displayUrl } from '../transport/url.ts';
import type { UpstreamRequest } from '../transport/request.ts';
import { describeTarget, transportError } from '../transport/send.ts';
import { curlCommand, describeRequest } from './describe-request.ts';
import { EXIT, exitCodeForStatus } from './exit-codes.ts';
import { decideOutputMode } from './output-mode.ts';
import { readPayload } from './payload.ts';
import { printResponse } from './print-response.ts';
import { endOutput, OutputClosedError, outputFailure, watchForClosedOutput } from './write.ts';
import { CLI_FLUSH_MS, startCliTelemetry, type CallOutcome } from '../telemetry/index.ts';

export interface CallFlags {
  model: string;
  endpoint: string;
  bin: string;
  json?: string | undefined;
  data?: string | undefined;
  form?: string[] | undefined;
  'ignore-stdin'?: boolean;
  swap?: boolean;
  method?: string | undefined;
  header?: string[] | undefined;
  query?: string[] | undefined;
  timeout?: string | undefined;
  retries?: number | undefined;
  config?: string | undefined;
  'api-base'?: string | undefined;
  'api-key'?: string | undefined;
  'env-file'?: string | undefined;
  output?: string | undefined;
  include?: boolean;
  verbose?: boolean;
  pretty?: boolean;
  raw?: boolean;
  'dry-run'?: boolean;
  curl?: boolean;
  jsonl?: boolean;
  concurrency?: number | undefined;
  unordered?: boolean;
  envelope?: boolean;
  resume?: string | undefined;
}

export function parseHeaders(values: string[] = []): Array<[string, string]> {
  return values.map((value) => {
    const colon = value.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header "${value}": expected 'Name: value'`);
    return [value.slice(0, colon).trim().toLowerCase(), value.slice(colon + 1).trim()];
  });
}

export function parseQuery(values: string[] = []): Array<[string, string]> {
  return values.map((value) => {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`--query "${value}": expected key=value`);
    return [value.slice(0, eq), value.slice(eq + 1)];
  });
}

export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout "${value}": expected a positive number of seconds`);
  return seconds;
}

export function loadEnvFile(path: string | undefined): void {
  if (!path) return;
  try {
    process.loadEnvFile(path);
  } catch (error) {
    throw new UsageError(`--env-file ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

function verboseEvent(event: RouterEvent): string | undefined {
  switch (event.type) {
    case 'attempt':
      return `${describeRequest(event.request).replace(/^/gm, '> ')}\n`;
    case 'retry':
      return `* ${event.deployment.id} failed (${event.reason}); retrying in ${event.delayMs} ms\n`;
    case 'cooldown':
      return `* ${event.deployment.id} cooled down after repeated failures\n`;
    case 'fallback':
      return `* every deployment of "${event.from}" failed; falling back to "${event.to}"\n`;
    case 'answered':
      return `* answered by ${event.deployment.id} (${event.deployment.provider.id}/${event.deployment.model})\n`;
  }
}

/** Opened before anything is written, so an unwritable path is one clear error, not a stream crash. */
async function openOutput(path: string): Promise<NodeJS.WritableStream> {
  try {
    const handle = await open(path, 'w');
    // The stream owns the handle and closes it when it ends.
    const stream = handle.createWriteStream();
    watchForClosedOutput(stream, path);
    return stream;
  } catch (error) {
    throw new UsageError(`--output ${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** `llmpass call`: flags in, one passthrough through the Router, the reply printed as the output mode says. */
export async function runCall(flags: CallFlags, onDrawing: (stop: () => void) => void): Promise<number> {
  if (flags.jsonl) return (await import('./run-batch.ts')).runBatch(flags, onDrawing);
  loadEnvFile(flags['env-file']);
  const headers = parseHeaders(flags.header);
  const query = parseQuery(flags.query);
  const timeout = parseTimeout(flags.timeout);
  const contentType = headers.find(([name]) => name === 'content-type')?.[1];
  const payload = await readPayload({ json: flags.json, data: flags.data, form: flags.form, ignoreStdin: flags['ignore-stdin'] }, contentType, process.stdin);
  const config = await loadConfig({ configPath: flags.config });
  // A call shares the proxies' cooldowns and rate limits when the config names a Redis (not needed to only print).
  const shared = flags['dry-run'] || flags.curl ? undefined : await routerStateFromConfig(config);
  const degraded = shared?.report().degraded;
  if (degraded) process.stderr.write(`${flags.bin}: warning: redis unavailable (${degraded.reason}): rate limits and cooldowns are this call's own\n`);
  const router = new Router({ config, state: shared });
  const request = {
    model: flags.model,
    endpoint: flags.endpoint,
    method: flags.method,
    query,
    headers,
    json: payload.json,
    body: payload.body,
    bodyLength: payload.length,
    swapModel: flags.swap,
    apiBase: flags['api-base'],
    apiKey: flags['api-key'],
    timeout,
    retries: flags.retries,
  };

  if (flags['dry-run'] || flags.curl) {
    const prepared = router.prepare(request);
    process.stdout.write(`${flags.curl ? curlCommand(prepared, payload.curlSource) : describeRequest(prepared)}\n`);
    if (payload.body && typeof (payload.body as Readable).destroy === 'function') (payload.body as Readable).destroy();
    return EXIT.ok;
  }

  const mode = decideOutputMode({
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    // A terminal of no width (a pty without a size) cannot draw a spinner: ora loops forever clearing it.
    stderrIsTTY: Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0,
    env: process.env,
    pretty: flags.pretty,
    raw: flags.raw,
    toFile: flags.output !== undefined,
  });

  const telemetry = await startCliTelemetry(config, flags.bin);
  const trace = telemetry.call(flags.model, flags.endpoint);
  let outcome: CallOutcome = { status: 0 };
  const controller = new AbortController();
  const interrupt = () => controller.abort(new AbortedError('interrupted'));
  process.once('SIGINT', interrupt);
  // ora is loaded only when a spinner will be drawn.
  const startSpinner = mode.spinner && !flags.verbose ? (await import('./spinner.ts')).startSpinner : undefined;
  let spinner: { stop(): void } | undefined;
  let lastRequest: UpstreamRequest | undefined;
  const stopSpinner = () => {
    spinner?.stop();
    spinner = undefined;
  };
  onDrawing(stopSpinner);

  try {
    const response = trace.reply(await router.send({
      ...request,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'attempt') lastRequest = event.request;
        trace.onEvent(event);
        if (flags.verbose) {
          stopSpinner();
          const line = verboseEvent(event);
          if (line) process.stderr.write(line);
        }
        if (event.type === 'attempt' && startSpinner) {
          stopSpinner();
          spinner = startSpinner(`${flags.model} → ${displayUrl(event.request.url)}`);
        }
      },
    }));
    stopSpinner();
    outcome = { status: response.status };
    if (flags.verbose) process.stderr.write(`< HTTP ${response.status} ${response.statusText}\n`);
    const out = flags.output ? await openOutput(flags.output) : process.stdout;
    try {
      await printResponse(response, { mode, include: Boolean(flags.include), out });
    } catch (error) {
      if (error instanceof OutputClosedError) {
        controller.abort(error);
        response.body.destroy();
        return exitCodeForStatus(response.status);
      }
      // Our side failed to write, not the upstream to send: that error, as it is.
      if (error instanceof OutputError) {
        response.body.destroy();
        throw error;
      }
      throw transportError(error, describeTarget({ method: lastRequest?.method ?? 'GET', url: lastRequest?.url ?? new URL('http://upstream') }), 'body', controller.signal);
    } finally {
      if (out !== process.stdout) await endOutput(out);
    }
    const failed = outputFailure(out);
    if (failed) throw failed;
    return exitCodeForStatus(response.status);
  } catch (error) {
    stopSpinner();
    outcome = { status: outcome.status, error: (error as Error).message };
    if (controller.signal.aborted && !(controller.signal.reason instanceof OutputClosedError)) {
      throw new AbortedError('interrupted; the upstream request was aborted');
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    trace.end(outcome);
    await router.close().catch(() => undefined);
    await telemetry.shutdown(CLI_FLUSH_MS);
  }
}
