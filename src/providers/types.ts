import type { Secret } from '../secret.ts';

/** How the provider expects its credential. Data, so `llmpass providers` can describe it. */
export type AuthScheme =
  | { kind: 'none' }
  | { kind: 'bearer' }
  | { kind: 'header'; name: string };

/** Where the upstream model goes: the JSON body's `model`, the URL path (expandEndpoint puts it), or nowhere. */
export type ModelPlacement = 'body' | 'path' | 'none';

/**
 * How an endpoint joins the api base. The base's path is always kept; on top of that:
 * - `stripBaseSuffix`: the base may be written with this suffix that is not part of the server root
 *   (vLLM's `/v1`: root-level `/classify` and `/v1/chat/completions` both live on the root);
 * - `collapseSeam`: when the base ends with this segment and the endpoint starts with it, keep one
 *   (OpenAI's base is `/v1`, and both `chat/completions` and `v1/chat/completions` are written).
 */
export interface JoinRule {
  stripBaseSuffix?: string;
  collapseSeam?: string;
}

/** What a provider's quirk hook may look at when it rewrites an endpoint. */
export interface EndpointContext {
  model: string;
  apiVersion: string | undefined;
}

/** Where the served-model list lives, how to read its ids, and how to tell whether it names a deployment's model. */
export interface ModelList {
  path: string;
  ids: (body: unknown) => string[];
  /**
   * Whether `model` is among the listed `ids`; exact equality when absent. `undefined` means the list cannot tell
   * (it names base models, not deployments, or leaves aliases out), so `models --check` does not fail on it.
   */
  isServed?: (ids: readonly string[], model: string) => boolean | undefined;
}

export interface ProviderSpec {
  /** The prefix of a model string (`hosted_vllm/...`) and the provider's name everywhere. */
  id: string;
  /** Other prefixes meaning the same provider (`vllm`). */
  aliases?: readonly string[];
  label: string;
  /** Where the proxy serves it (`/vllm`). */
  routePrefix: string;
  /** Where the API lives when neither the config nor the environment says; none for self-hosted servers. */
  defaultApiBase?: string;
  /** Environment variables for the base and the key, first set wins (the ones LiteLLM reads). */
  apiBaseEnv: readonly string[];
  apiKeyEnv: readonly string[];
  /** Whether a call without a key is a mistake we can name before sending. */
  keyRequired: boolean;
  auth: AuthScheme;
  /** Sent unless the caller sets them (Anthropic's `anthropic-version`). */
  defaultHeaders?: Readonly<Record<string, string>>;
  join: JoinRule;
  /** [api base, endpoint, expected URL]: documentation that a test checks. */
  joinExamples: ReadonlyArray<readonly [string, string, string]>;
  model: ModelPlacement;
  /** Bare model names this provider owns, as LiteLLM infers them (`gpt-4o` is OpenAI's). */
  infersBareModel?: RegExp;
  /** Cheap liveness probe and the served-model list, for `models --check`. */
  health?: { path: string };
  listModels?: ModelList;
  /** Quirk hook: rewrite the endpoint before joining (the model or a version in the path). */
  expandEndpoint?: (endpoint: string, ctx: EndpointContext) => string;
  /** Quirk hook: whether this endpoint takes the model in the body after all (Azure's v1 API does). */
  modelInBody?: (endpoint: string) => boolean;
  /** Quirk hooks for a model in the path: read it (an alias to resolve) and put the upstream model in its place. */
  modelFromPath?: (endpoint: string) => string | undefined;
  replacePathModel?: (endpoint: string, model: string) => string;
}

export interface ProviderCredentials {
  apiKey: Secret | undefined;
}
