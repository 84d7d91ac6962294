import { LlmpassError } from '../errors.ts';
import type { RouterEvent, RouterPassthroughOptions } from '../router/call.ts';
import { retryAfterMs, sleep } from '../router/retry.ts';
import { isJsonMediaType } from '../transport/headers.ts';
import { discardReply, NULL_BODY_STATUS, replyHeader } from '../transport/reply.ts';
import { maskedErrorReply } from '../transport/masked-reply.ts';
import { deploymentSecrets } from '../router/deployment.ts';
import type { Deployment } from '../core/deployment.ts';
import type { BatchError, BatchResult, CallSender } from './types.ts';
import type { UpstreamReply } from '../core/reply.ts';

/** The request every line shares; the payload is added per line. */
export type LineRequest = Omit<RouterPassthroughOptions, 'json' | 'body' | 'bodyLength' | 'signal' | 'onEvent'>;

export interface LineFeedback {
  /** The upstream said it is overloaded (429, or a `Retry-After`), on a retried attempt or the final answer. */
  overloaded(retryAfterMs: number | undefined): void;
  /** The final answer was not overloaded. */
  answered(): void;
  onEvent?: ((event: RouterEvent) => void) | undefined;
  /** The answer, its body now being read: a listener may watch it pass (telemetry: usage, first chunk). */
  reading?: ((reply: UpstreamReply) => void) | undefined;
}

const MESSAGE_LIMIT = 300;

/** The body, read whole: a JSON line needs all of it. Events, not `for await`: this runs once per line. */
function collect(body: UpstreamReply['body']): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    body.once('error', reject);
    body.once('close', () => {
      if (!body.readableEnded) reject(Object.assign(new Error('the connection closed mid-body'), { code: 'ECONNRESET' }));
    });
  });
}

/** JSON is parsed (so that it can be written back compact, on one line); other text stays a string. */
async function readBody(reply: UpstreamReply): Promise<unknown> {
  if (NULL_BODY_STATUS.has(reply.status)) {
    discardReply(reply);
    return null;
  }
  const text = (await collect(reply.body)).toString('utf8');
  if (text === '') return null;
  const type = replyHeader(reply, 'content-type');
  if (type !== undefined && !isJsonMediaType(type)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MESSAGE_LIMIT ? `${flat.slice(0, MESSAGE_LIMIT)}...` : flat;
}

/** What the provider said went wrong: OpenAI's `error.message`, vLLM's `message`, FastAPI's `detail`, or the text. */
function providerMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() ? clip(body) : undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return clip(error);
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return clip((error as { message: string }).message);
  }
  if (typeof record.message === 'string') return clip(record.message);
  if (record.detail !== undefined) return clip(typeof record.detail === 'string' ? record.detail : JSON.stringify(record.detail));
  return undefined;
}

function httpFailure(reply: UpstreamReply, body: unknown): BatchError {
  const head = `HTTP ${reply.status}${reply.statusText ? ` ${reply.statusText}` : ''}`;
  const said = providerMessage(body);
  return { status: reply.status, message: said ? `${head}: ${said}` : head };
}

export function errorOf(error: unknown, signal: AbortSignal): BatchError {
  if (signal.aborted) return { code: 'LLMPASS_ABORTED', message: 'aborted before the answer came (interrupted)' };
  if (error instanceof LlmpassError) return { code: error.code, message: error.message };
  return { code: 'LLMPASS_ERROR', message: (error as Error)?.message ?? String(error) };
}

/** The Router refused before sending: every deployment is at its configured rpm/tpm limit for now. */
function refusedFor(error: unknown): number | undefined {
  const { code, retryAfterSeconds } = error as { code?: unknown; retryAfterSeconds?: unknown };
  return code === 'LLMPASS_RATE_LIMITED' && typeof retryAfterSeconds === 'number' ? retryAfterSeconds * 1000 : undefined;
}

/**
 * One payload through the Router, as a single call goes (alias, model swap, auth, load balancing, retries,
 * cooldowns, fallbacks), its answer read whole. Never rejects: every failure is a line's result.
 */
export async function callLine(sender: CallSender, line: number, payload: unknown, request: LineRequest, signal: AbortSignal, feedback: LineFeedback): Promise<BatchResult> {
  for (;;) {
    const result = await sendLine(sender, line, payload, request, signal, feedback);
    if (!('refusedForMs' in result)) return result;
    // The config's own rpm/tpm limits are a pace to keep, not a failure: the line waits for room, as the batch does.
    feedback.overloaded(result.refusedForMs);
    try {
      await sleep(result.refusedForMs, signal);
    } catch {
      return { line, error: errorOf(undefined, signal) };
    }
  }
}

async function sendLine(
  sender: CallSender,
  line: number,
  payload: unknown,
  request: LineRequest,
  signal: AbortSignal,
  feedback: LineFeedback,
): Promise<BatchResult | { refusedForMs: number }> {
  try {
    let answeredBy: Deployment | undefined;
    const sent = await sender.send({
      ...request,
      json: payload,
      signal,
      onEvent: (event) => {
        if (event.type === 'retry' && (event.status === 429 || event.retryAfterMs !== undefined)) feedback.overloaded(event.retryAfterMs);
        if (event.type === 'answered') answeredBy = event.deployment;
        feedback.onEvent?.(event);
      },
    });
    // An error answer may quote the credential it was sent with: its line shows it masked, as the proxy relays it.
    const reply = sent.status >= 300 && answeredBy ? (await maskedErrorReply(sent, deploymentSecrets(answeredBy), request.method)).reply : sent;
    const retryAfter = replyHeader(reply, 'retry-after');
    if (reply.status === 429 || (retryAfter !== undefined && reply.status >= 400)) feedback.overloaded(retryAfterMs(retryAfter ?? null));
    else feedback.answered();
    const reading = readBody(reply); // its reader attached at once: a watcher joins it, never starts the flow
    feedback.reading?.(reply);
    const body = await reading;
    if (reply.status >= 200 && reply.status < 300) return { line, status: reply.status, body };
    return { line, error: httpFailure(reply, body) };
  } catch (error) {
    const refusedForMs = signal.aborted ? undefined : refusedFor(error);
    return refusedForMs === undefined ? { line, error: errorOf(error, signal) } : { refusedForMs };
  }
}
