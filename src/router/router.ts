import { configFromObject, loadConfig, type Config, type LoadConfigOptions } from '../config/load.ts';
import type { BatchOptions, BatchResult } from '../batch/types.ts';
import type { Deployment, DeploymentOverrides } from '../core/deployment.ts';
import type { UpstreamReply } from '../core/reply.ts';
import type { UpstreamRequest } from '../core/request.ts';
import { UnknownModelError, UsageError } from '../errors.ts';
import type { HttpClient } from '../transport/http-client.ts';
import { toWebResponse } from '../transport/reply.ts';
import { buildUpstreamRequest } from '../transport/request.ts';
import { AliasTable } from './aliases.ts';
import { AttemptLoop } from './attempts.ts';
import type { Candidates, RouterEvent, RouterPassthroughOptions } from './call.ts';
import { routerSettings, stateSettings, type ResolvedRouterSettings, type RouterSettings, type RoutingStrategy } from './settings.ts';
import { MemoryState } from './state/memory.ts';
import type { RouterState } from './state/types.ts';
import { observeSend } from '../accounting/observe.ts';
import type { RequestLog } from '../accounting/request-log.ts';

export type { RouterEvent, RouterPassthroughOptions, RouterSettings, RoutingStrategy };

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
  /** The request log every call is recorded in (opt-in; src/accounting/request-log.ts). Closed with the Router. */
  log?: RequestLog | undefined;
}

/**
 * Routes a model name to its deployments: exact aliases, then LiteLLM's wildcard routes (`anthropic/*`), then a
 * `provider/model` used directly. Picks among deployments, retries before the first byte reaches the caller,
 * cools failing deployments down and falls back to other aliases. LiteLLM's `Router`, for any endpoint.
 *
 * A facade: the names live in aliases.ts, the attempts in attempts.ts, the settings in settings.ts.
 */
export class Router {
  readonly config: Config;
  readonly settings: ResolvedRouterSettings;
  readonly log: RequestLog | undefined;
  /** Cooldowns, rate-limit windows and in-flight counts (shared by replicas when it is Redis-backed). */
  readonly state: RouterState;
  readonly #aliases: AliasTable;
  readonly #attempts: AttemptLoop;

  constructor(options: RouterOptions = {}) {
    this.config = options.config ?? configFromObject({ model_list: options.modelList ?? [] });
    this.settings = routerSettings(this.config, options);
    this.log = options.log;
    this.state = options.state ?? new MemoryState(stateSettings(this.config, this.settings));
    this.#aliases = new AliasTable(this.config);
    this.#attempts = new AttemptLoop(this.settings, this.state, options.client, (model, overrides) => this.resolve(model, overrides));
  }

  /** A router over the config found the way the CLI finds it. */
  static async fromConfig(options: LoadConfigOptions & Omit<RouterOptions, 'config' | 'modelList'> = {}): Promise<Router> {
    return new Router({ ...options, config: await loadConfig(options) });
  }

  /** The aliases callers can use, in config order (wildcard routes included as written). */
  aliases(): string[] {
    return this.#aliases.aliases();
  }

  /** Whether a name is an alias or matches a wildcard route (a `provider/model` used directly is neither). */
  isAlias(model: string): boolean {
    return this.#aliases.isAlias(model);
  }

  /** The configured name serving a model: itself, or the wildcard route it matches (bounded, for metrics). */
  aliasOf(model: string): string | undefined {
    return this.#aliases.aliasOf(model);
  }

  /** Resolves a model name to its deployments, reading environment references now. */
  resolve(model: string, overrides: DeploymentOverrides = {}): Candidates {
    return this.#aliases.resolve(model, overrides);
  }

  /** `call`'s answer to a name that is no alias (the closest aliases suggested), `also` saying what else failed. */
  unknownModel(model: string, also?: string): UnknownModelError {
    return this.#aliases.unknownModel(model, also);
  }

  /** Ends the state's connections (Redis); the Router is not used after. */
  async close(): Promise<void> {
    await Promise.all([this.state.close(), this.log?.close()]);
  }

  /** The request that would be sent to the deployment picked now: for `--dry-run` and `--curl`. */
  prepare(options: RouterPassthroughOptions): UpstreamRequest {
    const { deployments } = this.resolve(options.model, options);
    return buildUpstreamRequest(this.#attempts.pick(deployments, new Set()), options);
  }

  /** Sends the passthrough; any HTTP answer is returned as a web Response, only failures to get one throw. */
  async passthrough(options: RouterPassthroughOptions): Promise<Response> {
    return toWebResponse(await this.send(options));
  }

  /**
   * As passthrough, answering with the transport's reply (a Node stream body) for faces that pipe it. The call's
   * own promise, not an async wrapper's (the proxy sends every request through here).
   */
  send(options: RouterPassthroughOptions): Promise<UpstreamReply> {
    try {
      const observer = this.log?.observe(options);
      return observer ? observeSend(observer, options, (observed) => this.#attempts.send(observed)) : this.#attempts.send(options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
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

  /** Sends to one given deployment (a provider's default, a configured route), with the same retry rules. */
  sendTo(deployment: Deployment, options: Omit<RouterPassthroughOptions, 'model'>): Promise<UpstreamReply> {
    return this.#attempts.tryDeployments([deployment], options);
  }
}

export function assertModel(model: unknown): asserts model is string {
  if (typeof model !== 'string' || model === '') throw new UsageError('model is required: an alias from the config or provider/model');
}
