import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AbortedError, OutputError, UsageError } from '../../errors.ts';
import { loadConfig } from '../../config/load.ts';
import { Router, type RouterEvent } from '../../router/router.ts';
import { cliRequestLog } from '../../accounting/request-log.ts';
import { routerStateFromConfig } from '../../router/state/from-config.ts';
import { displayUrl } from '../../transport/url.ts';
import type { Deployment } from '../../core/deployment.ts';
import type { UpstreamReply } from '../../core/reply.ts';
import type { UpstreamRequest } from '../../core/request.ts';
import { deploymentSecrets } from '../../router/deployment.ts';
import { curlCommand, describeRequest } from './describe-request.ts';
import { EXIT, exitCodeForStatus } from '../exit-codes.ts';
import { loadDotenv } from '../dotenv.ts';
import { assertWritablePath } from '../writable-path.ts';
import { decideOutputMode } from '../render/output-mode.ts';
import { readPayload } from './payload.ts';
import { itemHeaders, itemQuery, parseRequestItems } from './request-items.ts';
import { parseHeaders, parseQuery, type CallFlags } from './call-flags.ts';
import { parseSeconds } from '../seconds.ts';
import { printResponse } from '../render/print-response.ts';
import { endOutput, OutputClosedError, outputFailure, watchForClosedOutput } from '../render/write.ts';
import { CLI_FLUSH_MS, startCliTelemetry, type CallOutcome } from '../../telemetry/index.ts';

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

/**
 * A header the caller set that the deployment's credentials replaced (its `Authorization`, an `x-api-key`): said
 * once, with the way to send another key, rather than dropped without a word. The request holds a credential as a
 * Secret, never as the caller's text.
 */
function warnReplacedHeaders(given: Array<[string, string]>, request: UpstreamRequest, bin: string): void {
  const replaced = [...new Set(given.map(([name]) => name.toLowerCase()))].filter((name) => typeof request.headers.get(name) === 'object');
  if (replaced.length === 0) return;
  process.stderr.write(`${bin}: warning: your ${replaced.join(', ')} header${replaced.length > 1 ? 's were' : ' was'} replaced by ${request.deployment.alias ?? request.deployment.id}'s credentials; to send another key, use --api-key\n`);
}

/**
 * The answer as it may be shown: a non-2xx one may quote the credential it was sent with (a 401 echoing the key),
 * so it is masked as the proxy masks it (read whole, up to 64 KiB; a note on stderr says when it was cut). A 2xx
 * streams as it came.
 */
async function shownReply(reply: UpstreamReply, answeredBy: Deployment | undefined, flags: CallFlags): Promise<UpstreamReply> {
  if (reply.status < 300 || !answeredBy) return reply;
  const { maskedErrorReply } = await import('../../transport/masked-reply.ts');
  const masked = await maskedErrorReply(reply, deploymentSecrets(answeredBy), flags.method);
  if (masked.note) process.stderr.write(`${flags.bin}: ${masked.note}\n`);
  return masked.reply;
}

/** Whether stderr may be coloured (NO_COLOR and FORCE_COLOR=0 say no). */
function colorOnStderr(): boolean {
  return decideOutputMode({ stdoutIsTTY: Boolean(process.stderr.isTTY), stderrIsTTY: false, env: process.env, pretty: true }).color > 0;
}

/** `llmpass call`: flags in, one passthrough through the Router, the reply printed as the output mode says. */
export async function runCall(flags: CallFlags, onDrawing: (stop: () => void) => void): Promise<number> {
  if (flags.jsonl) return (await import('../batch/run-batch.ts')).runBatch(flags, onDrawing);
  loadDotenv(flags.dotenv);
  if (flags.output !== undefined) await assertWritablePath('--output', flags.output);
  const items = parseRequestItems(flags.items ?? []);
  const headers = [...parseHeaders(flags.header), ...itemHeaders(items)];
  const query = [...parseQuery(flags.query), ...itemQuery(items)];
  const timeout = parseSeconds(flags.timeout, '--timeout');
  const contentType = headers.findLast(([name]) => name === 'content-type')?.[1];
  const payload = await readPayload({ json: flags.json, data: flags.data, form: flags.form, ignoreStdin: flags['ignore-stdin'], items }, contentType, process.stdin);
  const config = await loadConfig({ configPath: flags.config });
  // A call shares the proxies' cooldowns and rate limits when the config names a Redis (not needed to only print).
  const shared = flags['dry-run'] || flags.curl ? undefined : await routerStateFromConfig(config);
  const degraded = shared?.report().degraded;
  if (degraded) process.stderr.write(`${flags.bin}: warning: redis unavailable (${degraded.reason}): rate limits and cooldowns are this call's own\n`);
  const log = flags['dry-run'] || flags.curl ? undefined : cliRequestLog('call', config, flags);
  const router = new Router({ config, state: shared, log });
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
  // What a person is told on stderr (a non-2xx status, retries, a held-back binary): loaded for a terminal only.
  const stderrTTY = Boolean(process.stderr.isTTY);
  const stdoutTTY = Boolean(process.stdout.isTTY) && flags.output === undefined;
  const told = stderrTTY || stdoutTTY ? await import('../render/terminal-answer.ts') : undefined;
  // ora is loaded only when a spinner will be drawn.
  const startSpinner = mode.spinner && !flags.verbose ? (await import('../render/spinner.ts')).startSpinner : undefined;
  let spinner: { stop(): void } | undefined;
  let answeredBy: Deployment | undefined;
  /** Requests sent for this call (retries and fallbacks included): the footer says so when there were several. */
  let attempts = 0;
  const stopSpinner = () => {
    spinner?.stop();
    spinner = undefined;
  };
  onDrawing(stopSpinner);

  const startedAt = performance.now();
  try {
    const sent = await router.send({
      ...request,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'answered') answeredBy = event.deployment;
        if (event.type === 'attempt' && attempts++ === 0) warnReplacedHeaders(headers, event.request, flags.bin);
        trace.onEvent(event);
        if (flags.verbose) {
          stopSpinner();
          const line = verboseEvent(event);
          if (line) process.stderr.write(line);
        } else if (event.type === 'retry' && told && stderrTTY) {
          stopSpinner();
          process.stderr.write(told.retryLine(flags.bin, event));
        }
        if (event.type === 'attempt' && startSpinner) {
          stopSpinner();
          spinner = startSpinner(`${flags.model} → ${displayUrl(event.request.url)}`, colorOnStderr());
        }
      },
    });
    const response = await shownReply(sent, answeredBy, flags);
    trace.watch(response);
    stopSpinner();
    outcome = { status: response.status };
    if (flags.verbose) process.stderr.write(`< HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}\n`);
    else if (told && stderrTTY && !flags.include && (response.status < 200 || response.status >= 300)) {
      process.stderr.write(told.statusLine(response, colorOnStderr()));
    }
    if (told && stdoutTTY && !flags.raw) {
      const notice = await told.holdBackBinary(response, flags.bin);
      if (notice) {
        process.stderr.write(notice);
        return exitCodeForStatus(response.status);
      }
    }
    // An unwritable --output drops the answer's body: left open, it held the process until the upstream hung up.
    const out = flags.output ? await openOutput(flags.output).catch((error: unknown) => { response.body.destroy(); throw error; }) : process.stdout;
    // The footer's figures (--meta, --meta-json, --verbose, a terminal) and --output's progress count the bytes on their way.
    const footer = flags['meta-json'] ? 'json' : flags.meta || flags.verbose || mode.footer ? 'line' : undefined;
    const meter = footer ? (await import('../render/answer-meter.ts')).meterReply(response, answeredBy, startedAt) : undefined;
    let reply = meter?.reply ?? response;
    const saving = flags.output !== undefined && stderrTTY ? (await import('../render/output-progress.ts')).showSaving(reply, flags.output, process.stderr) : undefined;
    reply = saving?.reply ?? reply;
    /** The body went to stdout as it came: its last line may be left open. */
    let asIs = false;
    try {
      const include = Boolean(flags.include);
      // The text view and NDJSON are loaded for a terminal or --ndjson only: piped, the body goes out untouched.
      const viewed =
        (mode.pretty && !flags.events) || flags.ndjson
          ? await (await import('../render/stream-view.ts')).printStream(reply, { mode, out, include, ndjson: Boolean(flags.ndjson), events: Boolean(flags.events), reader: answeredBy?.provider.streamText })
          : false;
      if (!viewed) asIs = await printResponse(reply, { mode, include, out });
    } catch (error) {
      saving?.stop();
      if (error instanceof OutputClosedError) {
        controller.abort(error);
        reply.body.destroy();
        return exitCodeForStatus(response.status);
      }
      // Our side failed to write, not the upstream to send: that error, as it is.
      if (error instanceof OutputError) {
        response.body.destroy();
        throw error;
      }
      throw error;
    } finally {
      if (out !== process.stdout) await endOutput(out);
    }
    const failed = outputFailure(out);
    if (failed) throw failed;
    saving?.done();
    if (meter) {
      const answer = await import('../render/answer-meter.ts');
      const figures = await meter.figures();
      // A body printed as it came (--raw, or not JSON) to the same terminal: the footer starts on a line of its own.
      if (stdoutTTY && stderrTTY && asIs && !meter.endedLine()) process.stderr.write('\n');
      process.stderr.write(footer === 'json' ? answer.footerJson(figures, attempts) : answer.footerLine(figures, attempts));
    }
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
