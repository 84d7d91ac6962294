import type { ListedAlias } from './model-lists.ts';
import type { EnvLookup } from '../config/env.ts';
import type { Secret } from '../secret.ts';
import type { Usage } from '../accounting/usage.ts';
import type { Deployment } from '../core/deployment.ts';

/** The request as it will be sent, handed to a signing hook: it adds its own headers (and drops stale ones). */
export interface SignableRequest {
  method: string;
  url: URL;
  /** Lower-case names, values revealed: the hook runs at the moment of sending and nothing prints them after. */
  headers: Array<[string, string]>;
  /** The exact bytes sent; a streamed body is buffered first when the scheme signs the body. */
  body: Uint8Array | undefined;
}

/** A scheme computed per request (a signature, a short-lived token), by a hook the transport calls last. */
export interface SignedAuth {
  kind: 'signed';
  /** What `llmpass providers` shows (`AWS SigV4`). */
  scheme: string;
  /** Variables the signer reads for its credentials, for `llmpass providers` (names only). */
  credentialEnv: readonly string[];
  /** Whether the signature covers the body (a stream is then buffered before signing). */
  signsBody: boolean;
  sign: (request: SignableRequest, deployment: Deployment) => Promise<void>;
  /** What `--curl` adds so curl authenticates the same way (shell words; variables left for the shell). */
  curlArgs?: (deployment: Deployment) => string[];
}

/** How the provider expects its credential. Data (but for a signer's hook), so `llmpass providers` can describe it. */
export type AuthScheme =
  | { kind: 'none' }
  | { kind: 'bearer' }
  | { kind: 'header'; name: string }
  | SignedAuth;

/**
 * A deployment's own settings (`litellm_params`), read when used: `os.environ/VAR` resolved, a missing variable an
 * error that names the alias and key. Provider hooks read their settings (a region, a project) through it.
 */
export interface ProviderSettings {
  /** The value as text (a mapping as JSON); undefined when unset or empty. */
  text(key: string): string | undefined;
  /** The same, as a Secret that remembers its variable. */
  secret(key: string): Secret | undefined;
  /** The keys the deployment sets (none for one built from the environment alone). */
  keys(): string[];
  /** The environment the config resolves against. */
  env: EnvLookup;
  /** Names the deployment in messages (`alias "x" (llmpass.config.yaml)`). */
  who: string;
}

/** Where the upstream model goes: the JSON body's `model`, the URL path (expandEndpoint puts it), or nowhere. */
export type ModelPlacement = 'body' | 'path' | 'none';

/**
 * How an endpoint joins the api base. The base's path is always kept; on top of that:
 * - `stripBaseSuffix`: the base may be written with this suffix that is not part of the server root
 *   (vLLM's `/v1`: root-level `/classify` and `/v1/chat/completions` both live on the root);
 * - `collapseSeam`: when the base ends with this path and the endpoint starts with it, keep one; a list is tried
 *   longest first (OpenAI's base is `/v1`, and both `chat/completions` and `v1/chat/completions` are written; Groq's
 *   is `/openai/v1`, and its SDK writes `openai/v1/chat/completions`).
 */
export interface JoinRule {
  stripBaseSuffix?: string;
  collapseSeam?: string | readonly string[];
}

/** What a provider's quirk hook may look at when it rewrites an endpoint. */
export interface EndpointContext {
  model: string;
  apiVersion: string | undefined;
  /** The deployment's settings; the environment's alone when absent. */
  settings?: ProviderSettings | undefined;
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
  /** Whether a list answer is this server's own (vLLM's entries are `owned_by: vllm`), so `llmpass init` can name the provider. */
  recognises?: (body: unknown) => boolean;
}

/** A model-list request of this provider's SDKs, which the proxy answers with the route's aliases in its shape. */
export interface AliasList {
  /** The list's endpoint; every spelling that joins to the same path matches (`models`, `v1/models`). */
  path: string;
  answer: (aliases: readonly ListedAlias[]) => unknown;
}

export interface ProviderSpec {
  /** The prefix of a model string (`hosted_vllm/...`) and the provider's name everywhere. */
  id: string;
  /** Other prefixes meaning the same provider (`vllm`). */
  aliases?: readonly string[];
  label: string;
  /** The provider's id in @pydantic/genai-prices' table (`google` for Gemini); none for self-hosted servers. */
  pricesProvider?: string;
  /** Where the proxy serves it (`/vllm`). */
  routePrefix: string;
  /** Where the API lives when neither the config nor the environment says; none for self-hosted servers. */
  defaultApiBase?: string;
  /** Environment variables for the base and the key, first set wins (the ones LiteLLM reads). */
  apiBaseEnv: readonly string[];
  apiKeyEnv: readonly string[];
  /**
   * Environment variables for the API version `expandEndpoint` puts in the URL (`EndpointContext.apiVersion`),
   * when the deployment sets no `api_version` (Azure's AZURE_API_VERSION).
   */
  apiVersionEnv?: readonly string[];
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
  /** The endpoints people call most, as `llmpass call ALIAS ENDPOINT` takes them: completion and `init` offer them. */
  endpoints?: readonly string[];
  /** Cheap liveness probe and the served-model list, for `models --check`. */
  health?: { path: string };
  listModels?: ModelList;
  /** The model lists the proxy answers itself when the config has aliases for this provider. */
  aliasLists?: readonly AliasList[];
  /** Quirk hook: rewrite the endpoint before joining (the model or a version in the path). */
  expandEndpoint?: (endpoint: string, ctx: EndpointContext) => string;
  /** Quirk hook: whether this endpoint takes the model in the body after all (Azure's v1 API does). */
  modelInBody?: (endpoint: string) => boolean;
  /** Quirk hooks for a model in the path: read it (an alias to resolve) and put the upstream model in its place. */
  modelFromPath?: (endpoint: string) => string | undefined;
  replacePathModel?: (endpoint: string, model: string, ctx?: EndpointContext) => string;
  /**
   * Quirk hook: the JSON body's copies of the path's model, swapped too when the path named an alias (Gemini's
   * `requests[].model` in `batchEmbedContents`: Google refuses a body model that differs from the URL's).
   */
  replaceBodyModels?: (json: unknown, alias: string, model: string) => unknown;
  /** Quirk hook: the api base from the deployment's settings (a region), when neither the config nor the environment names one. */
  apiBaseFrom?: (settings: ProviderSettings, model: string) => string;
  /** Quirk hook: settings a proxy path names (Vertex's location), for a request that names no alias. */
  paramsFromPath?: (endpoint: string) => Record<string, string>;
  /** A cheap call that proves the credentials where there is no health or list call (`models --check`). */
  probe?: (deployment: Deployment) => ProbeCall;
  /**
   * Quirk hook: which fields of one streamed event hold the answer's text, reasoning, tool calls and usage, for the
   * CLI's text view of a stream and its footer. Called with an event's parsed data (an SSE `data:`, an NDJSON line,
   * an AWS event-stream payload) and its event type; `undefined` for an event it does not know (the CLI then shows
   * the stream event by event), `{}` for one it knows that adds nothing (a role chunk, a ping).
   */
  streamText?: StreamTextReader;
  /**
   * Quirk hook: the tokens an answer reports, the one place that knows this provider's usage shapes. Called with a
   * whole buffered JSON body, or with each streamed event's parsed data and its event type (as `streamText`); returns
   * only the counts it reports (never a 0 for one it does not), undefined when it reports none. A later report of a
   * count replaces an earlier one. Serves tpm limits, the footer, the request log and metrics (src/accounting/usage-tap.ts).
   */
  usage?: UsageReader;
}

/** Token counts one answer or event reports, in `Usage`'s terms (input includes cache tokens, output reasoning). */
export type UsageReport = Partial<Usage>;

export type UsageReader = ((data: unknown, eventType: string | undefined) => UsageReport | undefined) & {
  /**
   * The top-level member the reader takes a JSON answer's usage from alone, when it holds an object: the tap then
   * parses only that member's bytes (`{key: value}` read as the whole answer would be), not the whole answer.
   */
  readonly usageKey?: string;
  /**
   * A test every text that reports usage passes (a name from its usage's shape, e.g. `"usage":{`): an event or answer
   * that fails it is not parsed at all, which spares a stream's many events without usage. None: each is parsed.
   */
  readonly mentions?: RegExp;
};

export type StreamTextReader = (data: unknown, eventType: string | undefined) => StreamDelta | undefined;

/** What one streamed event adds for a person reading the answer. */
export interface StreamDelta {
  text?: string;
  /** Reasoning or thinking, shown apart from the answer. */
  reasoning?: string;
  /** A tool call being built: its name when it starts, then pieces of its arguments (JSON text). */
  tool?: { key: string; name?: string; args?: string };
}

/** What a probe call answered. */
export interface ProbeAnswer {
  status: number;
  headers: Array<[string, string]>;
  text: string;
}

/** A request for `models --check` and how to read its answer: `ok`, and one line a person can act on. */
export interface ProbeCall {
  endpoint: string;
  method: string;
  json?: unknown;
  judge: (answer: ProbeAnswer) => { ok: boolean; reason: string };
}

export interface ProviderCredentials {
  apiKey: Secret | undefined;
}
