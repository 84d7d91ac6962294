import { AbortedError, isLlmpassError, LlmpassError } from '../errors.ts';
import { deploymentSecrets } from '../router/deployment.ts';
import { maskSecret } from '../secret.ts';
import { buildUpstreamRequest } from '../transport/request.ts';
import { timerDelay } from '../transport/failure.ts';
import { readWhole } from '../transport/read-whole.ts';
import { discardReply } from '../transport/reply.ts';
import { sendUpstream, type SendOptions } from '../transport/send.ts';
import { displayUrl } from '../transport/url.ts';
import type { Deployment } from '../core/deployment.ts';
import type { PassthroughRequest } from '../core/request.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface ProbeResult {
  status: CheckStatus;
  /** One line a person can act on; on a pass, what was confirmed. Never holds a credential. */
  reason: string;
  latencyMs: number;
  /** The status of the last answer, when there was one. */
  httpStatus: number | null;
  /** The ids the model list answered with, when it was read. */
  servedModels: string[] | null;
}

export interface ProbeOptions {
  /** Seconds for the whole probe of one deployment, bodies included; 10 when unset. */
  timeout?: number | undefined;
  /** A real call instead of the health and model-list probes (`--endpoint classify --data ...`): a 2xx passes. */
  request?: PassthroughRequest | undefined;
  signal?: AbortSignal | undefined;
  /** The HTTP client, as `sendUpstream` takes it; Node's http by default. */
  client?: SendOptions['client'];
}

export const DEFAULT_CHECK_TIMEOUT_SECONDS = 10;

/**
 * The most of one answer a probe reads. Model lists run to a few MB at most; past this the answer is refused for
 * that deployment rather than held (a 540 MB list once took a run to 1.7 GB, then past V8's string limit).
 */
export const MAX_PROBE_ANSWER_BYTES = 16 * 1024 * 1024;

interface Answer {
  /** `GET /v1/models`, for messages. */
  where: string;
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  text: string;
}

type Outcome = Omit<ProbeResult, 'latencyMs'>;

const MAX_LISTED = 10;
const SNIPPET = 200;

function outcome(status: CheckStatus, reason: string, answer?: Answer, servedModels: string[] | null = null): Outcome {
  return { status, reason, httpStatus: answer?.status ?? null, servedModels };
}

function isOk(answer: Answer): boolean {
  return answer.status >= 200 && answer.status < 300;
}

function httpFailure(answer: Answer): string {
  const body = answer.text.replace(/\s+/g, ' ').trim();
  const snippet = body.length > SNIPPET ? `${body.slice(0, SNIPPET)}…` : body;
  // The upstream's words after a dash: "404 Not Found no route" read as one phrase.
  return `${answer.where}: ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}${snippet ? ` - ${snippet}` : ''}`;
}

function quoteList(ids: readonly string[]): string {
  const shown = ids.slice(0, MAX_LISTED).map((id) => `"${id}"`).join(', ');
  return ids.length > MAX_LISTED ? `${shown} and ${ids.length - MAX_LISTED} more` : shown;
}

function exactlyServed(ids: readonly string[], model: string): boolean {
  return ids.includes(model);
}

/** Health, then the model list (is the upstream model among the served ids?), each where the provider has one. */
async function probeServer(deployment: Deployment, send: (request: PassthroughRequest) => Promise<Answer>): Promise<Outcome> {
  const { provider, model } = deployment;
  if (!provider.health && !provider.listModels && provider.probe) return probeCredentials(deployment, send);
  if (!provider.health && !provider.listModels) {
    return outcome('skip', `${provider.id} has no health or model-list probe; check it with --endpoint and --data`);
  }
  let health: Answer | undefined;
  if (provider.health) {
    health = await send({ endpoint: provider.health.path, method: 'GET' });
    if (!isOk(health)) return outcome('fail', httpFailure(health), health);
    if (!provider.listModels) return outcome('pass', `healthy (${health.where} ${health.status})`, health);
  }
  const list = provider.listModels!;
  const answer = await send({ endpoint: list.path, method: 'GET' });
  if (!isOk(answer)) return outcome('fail', httpFailure(answer), answer);
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return outcome('fail', `${answer.where}: ${answer.status} but the body is not JSON`, answer);
  }
  const ids = list.ids(body);
  if (model.includes('*')) return outcome('pass', `up; a wildcard route, serving ${ids.length} model${ids.length === 1 ? '' : 's'}`, answer, ids);
  const served = (list.isServed ?? exactlyServed)(ids, model);
  if (served === true) return outcome('pass', `serves "${model}"`, answer, ids);
  if (served === undefined) return outcome('pass', `up; ${answer.where} cannot confirm "${model}"`, answer, ids);
  const what = ids.length ? `serves ${quoteList(ids)}` : 'serves no model';
  return outcome('fail', `${what}, not "${model}" (${answer.where})`, answer, ids);
}

/** A signed provider's own cheap call (it has no health or list call): its judge reads auth failures into words. */
async function probeCredentials(deployment: Deployment, send: (request: PassthroughRequest) => Promise<Answer>): Promise<Outcome> {
  const call = deployment.provider.probe!(deployment);
  const answer = await send({ endpoint: call.endpoint, method: call.method, json: call.json });
  const verdict = call.judge({ status: answer.status, headers: answer.headers, text: answer.text });
  return outcome(verdict.ok ? 'pass' : 'fail', `${answer.where}: ${verdict.reason}`, answer);
}

async function probeCall(request: PassthroughRequest, send: (request: PassthroughRequest) => Promise<Answer>): Promise<Outcome> {
  const answer = await send(request);
  return isOk(answer) ? outcome('pass', `${answer.where}: ${answer.status}`, answer) : outcome('fail', httpFailure(answer), answer);
}

/**
 * Probes one deployment through the same request building and sending as `call` (so the auth headers are the
 * provider's), within one deadline for the whole probe. Failures are results, not throws; only an abort throws.
 */
export async function probeDeployment(deployment: Deployment, options: ProbeOptions = {}): Promise<ProbeResult> {
  const started = performance.now();
  const seconds = options.timeout ?? DEFAULT_CHECK_TIMEOUT_SECONDS;
  const timeoutMs = seconds * 1000;
  const deadline = new AbortController();
  const delay = timerDelay(timeoutMs);
  const timer = delay === undefined ? undefined : setTimeout(() => deadline.abort(), delay);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  let step = '';
  const secrets = deploymentSecrets(deployment);

  const send = async (passthrough: PassthroughRequest): Promise<Answer> => {
    const request = buildUpstreamRequest(deployment, passthrough);
    const where = `${request.method} ${displayUrl(request.url).slice(request.url.origin.length)}`;
    step = where;
    // The deadline above bounds the whole probe; the transport's own timer is only a backstop behind it.
    const reply = await sendUpstream(request, { signal, timeoutMs: timeoutMs + 1000, client: options.client });
    const bytes = await readWhole(reply.body, MAX_PROBE_ANSWER_BYTES, () => {
      discardReply(reply);
      return new LlmpassError(`${where}: ${reply.status} but the answer is too large (over ${MAX_PROBE_ANSWER_BYTES / 1024 / 1024} MB)`);
    });
    // Masked before anything reads or cuts it: an upstream may echo a header or key it was sent.
    return { where, status: reply.status, statusText: reply.statusText, headers: reply.headers, text: maskSecret(bytes.toString('utf8'), secrets) };
  };

  const finish = (result: Outcome): ProbeResult => ({
    ...result,
    reason: maskSecret(result.reason, secrets),
    latencyMs: Math.round(performance.now() - started),
  });

  try {
    const result = options.request ? await probeCall(options.request, send) : await probeServer(deployment, send);
    return finish(result);
  } catch (error) {
    if (options.signal?.aborted) throw new AbortedError('interrupted; the checks were aborted', { cause: error });
    if (deadline.signal.aborted) return finish(outcome('fail', `no answer within ${seconds}s${step ? ` (${step})` : ''}`));
    // Whatever else went wrong fails this deployment only: the others' results and the report are still written.
    return finish(outcome('fail', isLlmpassError(error) ? error.message : `the probe failed: ${(error as Error)?.message ?? String(error)}`));
  } finally {
    clearTimeout(timer);
  }
}
