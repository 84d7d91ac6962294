import type { Deployment } from '../core/deployment.ts';
import type { UpstreamReply } from '../core/reply.ts';
import type { UpstreamRequest } from '../core/request.ts';
import { LlmpassError, RateLimitedError } from '../errors.ts';
import type { HttpClient } from '../transport/http-client.ts';
import { discardReply, replyHeader } from '../transport/reply.ts';
import { buildUpstreamRequest } from '../transport/request.ts';
import { sendUpstream } from '../transport/send.ts';
import type { Candidates, RouterPassthroughOptions } from './call.ts';
import { backoffMs, isRetryableError, isRetryableStatus, retryAfterMs, sleep } from './retry.ts';
import { pickLeastBusy, pickWeighted } from './select.ts';
import type { ResolvedRouterSettings } from './settings.ts';
import type { Refusal, RouterState } from './state/types.ts';
import { tapUsage, tokensOf } from '../accounting/usage-tap.ts';

export type CallOptions = Omit<RouterPassthroughOptions, 'model'>;

/**
 * The attempt loop: picks a deployment (weighted or least busy, cooled-down ones last), takes its rpm/tpm slot,
 * sends, and retries before the first byte reaches the caller, on another deployment where there is one; then
 * falls back to other aliases. It holds routing state across deployments, which is why it is one loop and not a
 * chain of interceptors.
 */
export class AttemptLoop {
  readonly #settings: ResolvedRouterSettings;
  readonly #state: RouterState;
  readonly #client: HttpClient | undefined;
  readonly #resolve: (model: string, options: RouterPassthroughOptions) => Candidates;

  constructor(settings: ResolvedRouterSettings, state: RouterState, client: HttpClient | undefined, resolve: (model: string, options: RouterPassthroughOptions) => Candidates) {
    this.#settings = settings;
    this.#state = state;
    this.#client = client;
    this.#resolve = resolve;
  }

  pick(deployments: Deployment[], tried: Set<string>): Deployment {
    // One deployment is the answer whatever its state: no lists to build (most aliases, on every call).
    if (deployments.length === 1) return deployments[0]!;
    const fresh = deployments.filter((d) => !tried.has(d.id));
    const pool = fresh.length ? fresh : deployments;
    const warm = pool.filter((d) => !this.#state.isCooling(d.id));
    const choices = warm.length ? warm : pool;
    const picked =
      this.#settings.routingStrategy === 'least-busy'
        ? pickLeastBusy(choices, (id) => this.#state.inFlight(id))
        : pickWeighted(choices);
    return picked!;
  }

  /**
   * Picks a deployment whose rpm/tpm window has room and takes its slot; a full one is left out and another
   * picked. When every one is full the call is refused, with the time until the first has room. The first pick
   * answered by this process's own state is taken without a promise; only a shared state (Redis), or a refusal, is awaited.
   */
  #take(deployments: Deployment[], tried: Set<string>): Taken | Promise<Taken> {
    const deployment = this.pick(deployments, tried);
    const pending = this.#state.acquire(deployment.id, deployment.limits);
    if (!(pending instanceof Promise) && pending.ok) return { deployment, release: pending.release };
    return this.#takeAwaiting(deployments, tried, deployment, pending);
  }

  async #takeAwaiting(deployments: Deployment[], tried: Set<string>, first: Deployment, firstSlot: ReturnType<RouterState['acquire']>): Promise<Taken> {
    let open = deployments;
    const refused: Array<{ deployment: Deployment; refusal: Refusal }> = [];
    for (let deployment = first, pending = firstSlot; ; ) {
      const slot = pending instanceof Promise ? await pending : pending;
      if (slot.ok) return { deployment, release: slot.release };
      refused.push({ deployment, refusal: slot });
      const left = deployment;
      open = open.filter((d) => d !== left);
      if (open.length === 0) throw rateLimited(refused);
      deployment = this.pick(open, tried);
      pending = this.#state.acquire(deployment.id, deployment.limits);
    }
  }

  /**
   * The alias's deployments, then each fallback alias's in turn while the answer is one worth retrying. Without
   * fallbacks the call's own promise is handed back as it is: an async layer here (and in #tryAlias) cost every
   * proxy request a promise and turns of the microtask queue each.
   */
  send(options: RouterPassthroughOptions): Promise<UpstreamReply> {
    try {
      const fallbacks = this.#fallbacksOf(options.model);
      return fallbacks.length === 0 ? this.#tryAlias(options) : this.#sendFallingBack(options, fallbacks);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async #sendFallingBack(options: RouterPassthroughOptions, fallbacks: string[]): Promise<UpstreamReply> {
    const chain = [options.model, ...fallbacks];
    let lastError: unknown;
    for (const [position, model] of chain.entries()) {
      if (position > 0) options.onEvent?.({ type: 'fallback', from: chain[position - 1]!, to: model });
      const outcome: UpstreamReply | { error: unknown } = await this.#tryAlias({ ...options, model }).catch((error: unknown) => ({ error }));
      if (!('error' in outcome)) {
        if (!isRetryableStatus(outcome.status) || position === chain.length - 1) return outcome;
        discardReply(outcome);
        lastError = undefined;
        continue;
      }
      lastError = outcome.error;
      // An alias whose every deployment is at its rate limit falls back too, as LiteLLM does.
      if (!isRetryableError(lastError) && !(lastError instanceof RateLimitedError)) throw lastError;
    }
    throw lastError;
  }

  #fallbacksOf(model: string): string[] {
    for (const rule of this.#settings.fallbacks) if (rule[model]) return rule[model]!;
    return [];
  }

  #tryAlias(options: RouterPassthroughOptions): Promise<UpstreamReply> {
    try {
      return this.tryDeployments(this.#resolve(options.model, options).deployments, options);
    } catch (error) {
      // An unknown alias rejects, as every failure of a call does.
      return Promise.reject(error as Error);
    }
  }

  async tryDeployments(deployments: Deployment[], options: CallOptions): Promise<UpstreamReply> {
    const replayable = options.body === undefined || typeof options.body === 'string' || options.body instanceof Uint8Array || options.body instanceof ArrayBuffer;
    // (a stream cannot be sent twice, so it gets no retries)
    const retries = replayable ? (options.retries ?? this.#settings.numRetries) : 0;
    const state = this.#state;
    const tried = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const taking = this.#take(deployments, tried);
      const { deployment, release } = taking instanceof Promise ? await taking : taking;
      tried.add(deployment.id);
      if (options.onEvent && deployments.length > 1 && !state.isCooling(deployment.id)) for (const other of deployments) if (!tried.has(other.id) && state.isCooling(other.id)) options.onEvent({ type: 'skip', deployment: other, reason: 'cooling down after allowed_fails failures' });
      let request: UpstreamRequest;
      try {
        request = buildUpstreamRequest(deployment, options);
      } catch (error) {
        // Refused before sending (a caller's mistake): the slot taken for it is given back.
        release();
        throw error;
      }
      options.onEvent?.({ type: 'attempt', deployment, request, attempt });
      const canCool = deployments.length > 1;
      const timeoutSeconds = options.timeout ?? (deployment.timeoutMs ? deployment.timeoutMs / 1000 : this.#settings.timeout);
      let response: UpstreamReply;
      try {
        response = await sendUpstream(request, {
          signal: options.signal,
          timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
          client: this.#client,
          onSettled: release,
        });
      } catch (error) {
        if (!isRetryableError(error) || attempt >= retries || options.signal?.aborted) {
          if (isRetryableError(error) && state.failed(deployment.id, canCool)) options.onEvent?.({ type: 'cooldown', deployment });
          // A retried call says so: `--timeout 1` that took four seconds is explained by its attempts.
          if (attempt > 0 && error instanceof LlmpassError) error.message += `, ${attempt + 1} attempts`;
          throw error;
        }
        if (state.failed(deployment.id, canCool)) options.onEvent?.({ type: 'cooldown', deployment });
        const delayMs = backoffMs(attempt, undefined, this.#settings.maxBackoffMs);
        options.onEvent?.({ type: 'retry', deployment, reason: (error as Error).message, delayMs, next: attempt + 2, attempts: retries + 1 });
        await sleep(delayMs, options.signal);
        continue;
      }
      if (!isRetryableStatus(response.status)) {
        state.succeeded(deployment.id);
        options.onEvent?.({ type: 'answered', deployment, status: response.status });
        // Tokens are counted from the answer's usage only where a tpm limit needs them.
        if (deployment.limits?.tpm !== undefined && response.status < 300) return tapUsage(response, deployment.provider.usage, (usage) => tokensOf(usage) > 0 && state.recordTokens(deployment.id, tokensOf(usage)));
        return response;
      }
      if (state.failed(deployment.id, canCool)) options.onEvent?.({ type: 'cooldown', deployment });
      if (attempt >= retries) {
        options.onEvent?.({ type: 'answered', deployment, status: response.status });
        return response;
      }
      const retryAfter = retryAfterMs(replyHeader(response, 'retry-after') ?? null);
      const delayMs = backoffMs(attempt, retryAfter, this.#settings.maxBackoffMs);
      options.onEvent?.({ type: 'retry', deployment, reason: `HTTP ${response.status}`, delayMs, next: attempt + 2, attempts: retries + 1, status: response.status, retryAfterMs: retryAfter });
      discardReply(response);
      await sleep(delayMs, options.signal);
    }
  }
}

/** A deployment picked, with the slot it took in its rpm/tpm window. */
interface Taken {
  deployment: Deployment;
  release: () => void;
}

function rateLimited(refused: Array<{ deployment: Deployment; refusal: Refusal }>): RateLimitedError {
  const waitMs = Math.min(...refused.map(({ refusal }) => refusal.retryAfterMs));
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const first = refused[0]!.deployment;
  const who = first.alias === undefined ? `"${first.id}"` : `alias "${first.alias}"`;
  const limits = refused.map(({ deployment, refusal }) => `${deployment.id} ${refusal.limit} ${deployment.limits?.[refusal.limit]}`).join(', ');
  return new RateLimitedError(`${who}: every deployment is at its rate limit (${limits}); retry in ${seconds} s`, seconds);
}
