import { configFromObject, loadConfig, type Config, type LoadConfigOptions } from '../config/load.ts';
import type { ModelEntry } from '../config/schema.ts';
import { DEFAULT_ALLOWED_FAILS, DEFAULT_COOLDOWN_SECONDS, firstNumber } from '../config/numbers.ts';
import type { BatchOptions, BatchResult } from '../batch/types.ts';
import { displayPath } from '../config/display-path.ts';
import { LlmpassError, RateLimitedError, UnknownModelError, UsageError } from '../errors.ts';
import { buildUpstreamRequest, type PassthroughRequest, type UpstreamRequest } from '../transport/request.ts';
import type { HttpClient } from '../transport/http-client.ts';
import { discardReply, replyHeader, toWebResponse, type UpstreamReply } from '../transport/reply.ts';
import { sendUpstream } from '../transport/send.ts';
import { resolveDirect, resolveEntry, type Deployment, type DeploymentOverrides } from './deployment.ts';
import { MemoryState } from './state/memory.ts';
import { stateSettings } from './state/from-config.ts';
import type { Refusal, RouterState } from './state/types.ts';
import { tapUsage } from './usage.ts';
import { backoffMs, isRetryableError, isRetryableStatus, retryAfterMs, sleep } from './retry.ts';
import { closest, pickLeastBusy, pickWeighted } from './select.ts';
import { parseModelRef } from '../providers/model-ref.ts';

export type RoutingStrategy = 'simple-shuffle' | 'least-busy';

export interface RouterSettings {
  /** Retries after the first attempt (LiteLLM's `num_retries`); 2 when unset. */
  numRetries?: number;
  routingStrategy?: RoutingStrategy;
  /** Failures in a row before a deployment is cooled down (LiteLLM's default: 3). */
  allowedFails?: number;
  /** Seconds a cooled-down deployment is skipped (LiteLLM's default: 5). */
  cooldownTime?: number;
  /** `[{ alias: [other aliases] }]`, tried in order when every deployment of an alias failed. */
  fallbacks?: Array<Record<string, string[]>>;
  /** Seconds to wait for headers and between chunks when a deployment sets none. */
  timeout?: number;
  /** The longest pause between retries, in milliseconds, whatever `Retry-After` says. */
  maxBackoffMs?: number;
}

export interface RouterOptions extends RouterSettings {
  /** A LiteLLM-style model list; validated like a config file. */
  modelList?: unknown[];
  /** A loaded config (its router_settings apply unless overridden here). */
  config?: Config;
  /** The HTTP client (a pooled undici client in the proxy); Node's http by default. */
  client?: HttpClient;
  /**
   * Cooldowns, rpm/tpm windows and in-flight counts: this process's own by default; `routerStateFromConfig`
   * makes one shared through Redis when the config names one.
   */
  state?: RouterState;
}

export type RouterEvent =
  | { type: 'attempt'; deployment: Deployment; request: UpstreamRequest; attempt: number }
  | {
      type: 'retry';
      deployment: Deployment;
      reason: string;
      delayMs: number;
      /** The attempt about to be made (2 for the first retry), of `attempts` at most. */
      next: number;
      attempts: number;
      /** The answer's status when an HTTP answer (429, 5xx) is retried; undefined for a connection failure. */
      status?: number | undefined;
      /** What the upstream's `Retry-After` asked for, before the cap: batches slow down on it. */
      retryAfterMs?: number | undefined;
    }
  | { type: 'cooldown'; deployment: Deployment }
  /** A cooling deployment passed over by this attempt's pick (sent only when another, warm one was picked). */
  | { type: 'skip'; deployment: Deployment; reason: string }
  | { type: 'fallback'; from: string; to: string }
  | { type: 'answered'; deployment: Deployment; status: number };

export interface RouterPassthroughOptions extends PassthroughRequest, DeploymentOverrides {
  /** An alias from the model list, a wildcard route's match, or `provider/model`. */
  model: string;
  signal?: AbortSignal | undefined;
  /** Seconds; overrides the deployment's and the router's. */
  timeout?: number | undefined;
  /** Overrides `numRetries` for this call. */
  retries?: number | undefined;
  onEvent?: ((event: RouterEvent) => void) | undefined;
}

interface Candidates {
  alias: string | undefined;
  deployments: Deployment[];
}

/**
 * Longest model name a wildcard route is matched against: a pattern with several `*` backtracks, and the name
 * may come from a client's body (the proxy), so a huge one must not cost quadratic time.
 */
const MAX_WILDCARD_NAME = 512;

function wildcardRegex(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('(.*)')}$`);
}

/**
 * Routes a model name to its deployments: exact aliases, then LiteLLM's wildcard routes (`anthropic/*`), then a
 * `provider/model` used directly. Picks among deployments, retries before the first byte reaches the caller,
 * cools failing deployments down and falls back to other aliases. LiteLLM's `Router`, for any endpoint.
 */
export class Router {
  readonly config: Config;
  readonly settings: Required<Omit<RouterSettings, 'timeout'>> & { timeout: number | undefined };
  readonly #client: HttpClient | undefined;
  /** Cooldowns, rate-limit windows and in-flight counts (shared by replicas when it is Redis-backed). */
  readonly state: RouterState;
  readonly #exact = new Map<string, Array<{ entry: ModelEntry; index: number }>>();
  readonly #wildcards: Array<{ regex: RegExp; entry: ModelEntry; index: number }> = [];
  /** Resolved deployments per model name (without overrides): resolving reads the environment once per name. */
  readonly #resolved = new Map<string, Candidates>();

  constructor(options: RouterOptions = {}) {
    this.config = options.config ?? configFromObject({ model_list: options.modelList ?? [] });
    const router = this.config.raw.router_settings ?? {};
    const litellm = this.config.raw.litellm_settings ?? {};
    this.settings = {
      numRetries: firstNumber(options.numRetries, router.num_retries, litellm.num_retries) ?? 2,
      routingStrategy: (options.routingStrategy ?? (router.routing_strategy as RoutingStrategy | undefined) ?? 'simple-shuffle') as RoutingStrategy,
      allowedFails: firstNumber(options.allowedFails, router.allowed_fails) ?? DEFAULT_ALLOWED_FAILS,
      cooldownTime: firstNumber(options.cooldownTime, router.cooldown_time) ?? DEFAULT_COOLDOWN_SECONDS,
      fallbacks: options.fallbacks ?? router.fallbacks ?? litellm.fallbacks ?? [],
      timeout: firstNumber(options.timeout, router.timeout, litellm.request_timeout),
      maxBackoffMs: options.maxBackoffMs ?? 5_000,
    };
    this.#client = options.client;
    this.state = options.state ?? new MemoryState(stateSettings(this.config, this.settings));
    this.config.modelList.forEach((entry, index) => {
      if (entry.model_name.includes('*')) this.#wildcards.push({ regex: wildcardRegex(entry.model_name), entry, index });
      else {
        const list = this.#exact.get(entry.model_name) ?? [];
        list.push({ entry, index });
        this.#exact.set(entry.model_name, list);
      }
    });
  }

  /** A router over the config found the way the CLI finds it. */
  static async fromConfig(options: LoadConfigOptions & Omit<RouterOptions, 'config' | 'modelList'> = {}): Promise<Router> {
    return new Router({ ...options, config: await loadConfig(options) });
  }

  /** The aliases callers can use, in config order (wildcard routes included as written). */
  aliases(): string[] {
    return [...new Set(this.config.modelList.map((entry) => entry.model_name))];
  }

  /** Whether a name is an alias or matches a wildcard route (a `provider/model` used directly is neither). */
  isAlias(model: string): boolean {
    return this.#exact.has(model) || this.#wildcardFor(model) !== undefined;
  }

  /** The configured name serving a model: itself, or the wildcard route it matches (bounded, for metrics). */
  aliasOf(model: string): string | undefined {
    if (this.#exact.has(model)) return model;
    return this.#wildcardFor(model)?.route.entry.model_name;
  }

  #wildcardFor(model: string): { route: { regex: RegExp; entry: ModelEntry; index: number }; match: RegExpExecArray } | undefined {
    if (model.length > MAX_WILDCARD_NAME) return undefined;
    for (const route of this.#wildcards) {
      const match = route.regex.exec(model);
      if (match) return { route, match };
    }
    return undefined;
  }

  /** Resolves a model name to its deployments, reading environment references now. */
  resolve(model: string, overrides: DeploymentOverrides = {}): Candidates {
    const cacheable = overrides.apiBase === undefined && overrides.apiKey === undefined;
    const cached = cacheable ? this.#resolved.get(model) : undefined;
    if (cached) return cached;
    const resolved = this.#resolveUncached(model, overrides);
    if (cacheable && resolved.alias !== undefined && this.#resolved.size < 10_000) this.#resolved.set(model, resolved);
    return resolved;
  }

  #resolveUncached(model: string, overrides: DeploymentOverrides): Candidates {
    const exact = this.#exact.get(model);
    if (exact) return { alias: model, deployments: this.#resolveAll(exact, overrides) };
    const wildcard = this.#wildcardFor(model);
    if (wildcard) {
      const { route, match } = wildcard;
      const upstream = route.entry.litellm_params.model.replace('*', match[1] ?? '');
      const entry = { ...route.entry, model_name: route.entry.model_name, litellm_params: { ...route.entry.litellm_params, model: upstream } };
      return { alias: route.entry.model_name, deployments: this.#resolveAll([{ entry, index: route.index }], overrides) };
    }
    if (parseModelRef(model).ok && model.includes('/')) {
      return { alias: undefined, deployments: [resolveDirect(model, overrides, this.config.env)] };
    }
    throw this.#unknown(model);
  }

  #resolveAll(entries: Array<{ entry: ModelEntry; index: number }>, overrides: DeploymentOverrides): Deployment[] {
    const resolved: Deployment[] = [];
    let firstError: unknown;
    for (const { entry, index } of entries) {
      try {
        resolved.push(resolveEntry(this.config, entry, index, overrides));
      } catch (error) {
        firstError ??= error;
      }
    }
    if (resolved.length === 0) throw firstError;
    return resolved;
  }

  /** `call`'s answer to a name that is no alias (the closest aliases suggested), `also` saying what else failed. */
  unknownModel(model: string, also?: string): UnknownModelError {
    const error = this.#unknown(model);
    return also ? new UnknownModelError(`${error.message}; ${also}`) : error;
  }

  #unknown(model: string): UnknownModelError {
    const where = this.config.filepath ? `in ${displayPath(this.config.filepath)}` : 'in any config (none was found)';
    const near = closest(model, this.aliases());
    const hint = near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : model.includes('/') ? '' : '; use an alias or provider/model';
    const parsed = parseModelRef(model);
    const why = !parsed.ok && model.includes('/') ? ` (${parsed.reason})` : '';
    return new UnknownModelError(`unknown model "${model}": no such alias ${where}${why}${hint}`, this.config.filepath ? undefined : { remedy: 'config' });
  }

  #pick(deployments: Deployment[], tried: Set<string>): Deployment {
    const fresh = deployments.filter((d) => !tried.has(d.id));
    const pool = fresh.length ? fresh : deployments;
    const warm = pool.filter((d) => !this.state.isCooling(d.id));
    const choices = warm.length ? warm : pool;
    const picked =
      this.settings.routingStrategy === 'least-busy'
        ? pickLeastBusy(choices, (id) => this.state.inFlight(id))
        : pickWeighted(choices);
    return picked!;
  }

  /**
   * Picks a deployment whose rpm/tpm window has room and takes its slot; a full one is left out and another
   * picked. When every one is full the call is refused, with the time until the first has room.
   */
  async #take(deployments: Deployment[], tried: Set<string>): Promise<{ deployment: Deployment; release: () => void }> {
    let open = deployments;
    const refused: Array<{ deployment: Deployment; refusal: Refusal }> = [];
    for (;;) {
      const deployment = this.#pick(open, tried);
      // This process's own state answers at once; only a shared one (Redis) is awaited.
      const pending = this.state.acquire(deployment.id, deployment.limits);
      const slot = pending instanceof Promise ? await pending : pending;
      if (slot.ok) return { deployment, release: slot.release };
      refused.push({ deployment, refusal: slot });
      open = open.filter((d) => d !== deployment);
      if (open.length === 0) throw rateLimited(refused);
    }
  }

  /** Ends the state's connections (Redis); the Router is not used after. */
  async close(): Promise<void> {
    await this.state.close();
  }

  /** The request that would be sent to the deployment picked now: for `--dry-run` and `--curl`. */
  prepare(options: RouterPassthroughOptions): UpstreamRequest {
    const { deployments } = this.resolve(options.model, options);
    return buildUpstreamRequest(this.#pick(deployments, new Set()), options);
  }

  /** Sends the passthrough; any HTTP answer is returned as a web Response, only failures to get one throw. */
  async passthrough(options: RouterPassthroughOptions): Promise<Response> {
    return toWebResponse(await this.send(options));
  }

  /** As passthrough, answering with the transport's reply (a Node stream body) for faces that pipe it. */
  async send(options: RouterPassthroughOptions): Promise<UpstreamReply> {
    const fallbacks = this.#fallbacksOf(options.model);
    if (fallbacks.length === 0) return this.#tryAlias(options);
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

  /**
   * Sends each payload as its own call (the payload is the JSON body; `options` as for `send`), `concurrency` at a
   * time and slower while the upstream answers 429, yielding `{ line, status, body }` or `{ line, error }` per
   * payload, lines counted from 1. See src/batch/. Loaded on first use: single calls never pay for it.
   */
  async *batch(payloads: AsyncIterable<unknown> | Iterable<unknown>, options: BatchOptions): AsyncGenerator<BatchResult, void, undefined> {
    const { batchCalls, numberPayloads } = await import('../batch/batch.ts');
    yield* batchCalls(this, numberPayloads(payloads), options);
  }

  #fallbacksOf(model: string): string[] {
    for (const rule of this.settings.fallbacks) if (rule[model]) return rule[model]!;
    return [];
  }

  /** Sends to one given deployment (a provider's default, a configured route), with the same retry rules. */
  async sendTo(deployment: Deployment, options: Omit<RouterPassthroughOptions, 'model'>): Promise<UpstreamReply> {
    return this.#tryDeployments([deployment], options);
  }

  async #tryAlias(options: RouterPassthroughOptions): Promise<UpstreamReply> {
    const { deployments } = this.resolve(options.model, options);
    return this.#tryDeployments(deployments, options);
  }

  async #tryDeployments(deployments: Deployment[], options: Omit<RouterPassthroughOptions, 'model'>): Promise<UpstreamReply> {
    const replayable = options.body === undefined || typeof options.body === 'string' || options.body instanceof Uint8Array || options.body instanceof ArrayBuffer;
    // (a stream cannot be sent twice, so it gets no retries)
    const retries = replayable ? (options.retries ?? this.settings.numRetries) : 0;
    const tried = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const { deployment, release } = await this.#take(deployments, tried);
      tried.add(deployment.id);
      if (options.onEvent && deployments.length > 1 && !this.state.isCooling(deployment.id)) for (const other of deployments) if (!tried.has(other.id) && this.state.isCooling(other.id)) options.onEvent({ type: 'skip', deployment: other, reason: 'cooling down after allowed_fails failures' });
      const request = buildUpstreamRequest(deployment, options);
      options.onEvent?.({ type: 'attempt', deployment, request, attempt });
      const canCool = deployments.length > 1;
      const timeoutSeconds = options.timeout ?? (deployment.timeoutMs ? deployment.timeoutMs / 1000 : this.settings.timeout);
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
          if (isRetryableError(error) && this.state.failed(deployment.id, canCool)) options.onEvent?.({ type: 'cooldown', deployment });
          // A retried call says so: `--timeout 1` that took four seconds is explained by its attempts.
          if (attempt > 0 && error instanceof LlmpassError) error.message += `, ${attempt + 1} attempts`;
          throw error;
        }
        if (this.state.failed(deployment.id, canCool)) options.onEvent?.({ type: 'cooldown', deployment });
        const delayMs = backoffMs(attempt, undefined, this.settings.maxBackoffMs);
        options.onEvent?.({ type: 'retry', deployment, reason: (error as Error).message, delayMs, next: attempt + 2, attempts: retries + 1 });
        await sleep(delayMs, options.signal);
        continue;
      }
      if (!isRetryableStatus(response.status)) {
        this.state.succeeded(deployment.id);
        options.onEvent?.({ type: 'answered', deployment, status: response.status });
        // Tokens are counted from the answer's usage only where a tpm limit needs them.
        if (deployment.limits?.tpm !== undefined && response.status < 300) return tapUsage(response, (tokens) => this.state.recordTokens(deployment.id, tokens));
        return response;
      }
      if (this.state.failed(deployment.id, canCool)) options.onEvent?.({ type: 'cooldown', deployment });
      if (attempt >= retries) {
        options.onEvent?.({ type: 'answered', deployment, status: response.status });
        return response;
      }
      const retryAfter = retryAfterMs(replyHeader(response, 'retry-after') ?? null);
      const delayMs = backoffMs(attempt, retryAfter, this.settings.maxBackoffMs);
      options.onEvent?.({ type: 'retry', deployment, reason: `HTTP ${response.status}`, delayMs, next: attempt + 2, attempts: retries + 1, status: response.status, retryAfterMs: retryAfter });
      discardReply(response);
      await sleep(delayMs, options.signal);
    }
  }
}

function rateLimited(refused: Array<{ deployment: Deployment; refusal: Refusal }>): RateLimitedError {
  const waitMs = Math.min(...refused.map(({ refusal }) => refusal.retryAfterMs));
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const first = refused[0]!.deployment;
  const who = first.alias === undefined ? `"${first.id}"` : `alias "${first.alias}"`;
  const limits = refused.map(({ deployment, refusal }) => `${deployment.id} ${refusal.limit} ${deployment.limits?.[refusal.limit]}`).join(', ');
  return new RateLimitedError(`${who}: every deployment is at its rate limit (${limits}); retry in ${seconds} s`, seconds);
}

export function assertModel(model: unknown): asserts model is string {
  if (typeof model !== 'string' || model === '') throw new UsageError('model is required: an alias from the config or provider/model');
}
