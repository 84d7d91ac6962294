import * as v from 'valibot';
import { isCredentialKey, masked, maskedUrlText, quoteValue } from './quote-value.ts';

/**
 * LiteLLM's config shape, validated structurally. Unknown keys are kept (a LiteLLM config.yaml has many
 * sections llmpass does not use). What LiteLLM only finds out when a model is called (an unsupported
 * provider, a model it cannot infer) is not checked here: such a config loads and only calling the alias fails.
 */

export const ENV_REF = /^os\.environ\//;

function isHttpUrl(value: string): boolean {
  if (ENV_REF.test(value) || value.includes('${')) return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * A message quoting the value it refuses, as `not a URL ("htp:/x")`: quoteValue() masks what looks like a key, and
 * validateConfig() drops the quote under a credential's key. The quote is always this suffix, so it can.
 */
const quoting = (text: string) => (issue: { input: unknown }) => `${text} (${quoteValue(issue.input)})`;

/** A string must be `os.environ/VAR`; a refusal names what else was expected, in words, never the pattern. */
const envRef = (what: string) => v.pipe(v.string(), v.regex(ENV_REF, quoting(`expected ${what} or os.environ/VAR`)));
const httpUrl = v.pipe(
  v.string('expected a URL string'),
  v.check(isHttpUrl, (issue) => `not a URL (${quoteValue(typeof issue.input === 'string' ? maskedUrlText(issue.input) : issue.input)})`),
);
const count = v.union([v.pipe(v.number(), v.minValue(0, quoting('expected a number, 0 or more'))), envRef('a number')], 'expected a non-negative number');
const wholeCount = v.union([v.pipe(v.number(), v.integer(quoting('expected a whole number, 0 or more')), v.minValue(0, quoting('expected a whole number, 0 or more'))), envRef('a whole number')], 'expected a whole number, 0 or more');
const seconds = v.union([v.pipe(v.number(), v.gtValue(0, quoting('expected a positive number of seconds'))), envRef('seconds as a number'), v.pipe(v.string(), v.regex(/^\d+(\.\d+)?$/, quoting('expected seconds as a number or os.environ/VAR')))], 'expected seconds as a positive number');
const scalarText = v.pipe(v.union([v.string(), v.number(), v.boolean()], 'expected a string'), v.transform(String));
// Header names are tokens and values carry no CR, LF or NUL: a config cannot inject headers either.
const headerName = v.pipe(v.string(), v.regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'not a valid header name'));
const headerValue = v.pipe(scalarText, v.check((value: string) => !/[\r\n\u0000]/.test(value), 'a header value must not contain CR, LF or NUL'));
const NOT_A_HEADER_MAP = 'expected a mapping of header names to values';
// record() alone takes a list too, and its indexes (0, 1) are valid header names: refused before it looks.
const headerMap = v.pipe(
  v.custom<Record<string, unknown>>((input) => typeof input === 'object' && input !== null && !Array.isArray(input), NOT_A_HEADER_MAP),
  v.record(headerName, headerValue, NOT_A_HEADER_MAP),
);

export const litellmParamsSchema = v.looseObject(
  {
    model: v.string(quoting('must be a string, the provider-qualified model')),
    api_base: v.nullish(httpUrl),
    api_key: v.nullish(scalarText),
    api_version: v.nullish(scalarText),
    timeout: v.nullish(seconds),
    stream_timeout: v.nullish(seconds),
    extra_headers: v.nullish(headerMap),
    headers: v.nullish(headerMap),
    rpm: v.nullish(count),
    tpm: v.nullish(count),
    weight: v.nullish(count),
    max_parallel_requests: v.nullish(count),
  },
  'expected a mapping (model, api_base, api_key, ...)',
);

export const modelEntrySchema = v.looseObject(
  {
    model_name: v.pipe(v.string(quoting('must be a string, the alias callers use')), v.minLength(1, 'must not be empty')),
    litellm_params: litellmParamsSchema,
    model_info: v.nullish(v.looseObject({}, 'expected a mapping')),
  },
  'expected a mapping with model_name and litellm_params',
);

const fallbackTargets = v.union([v.array(v.string()), v.pipe(v.string(), v.transform((s: string) => [s]))], 'expected a list of aliases');
const fallbackList = v.array(v.record(v.string(), fallbackTargets), 'expected a list like [{alias: [other aliases]}]');

export const routerSettingsSchema = v.looseObject(
  {
    num_retries: v.nullish(count),
    routing_strategy: v.nullish(v.string()),
    allowed_fails: v.nullish(count),
    cooldown_time: v.nullish(seconds),
    timeout: v.nullish(seconds),
    fallbacks: v.nullish(fallbackList),
    // Shared state for several replicas (LiteLLM's keys); REDIS_URL in the environment works too.
    redis_host: v.nullish(scalarText),
    redis_port: v.nullish(v.union([v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)), envRef('a port number'), v.pipe(v.string(), v.regex(/^\d+$/, quoting('expected a port number or os.environ/VAR')))], 'expected a port number')),
    redis_password: v.nullish(scalarText),
    redis_key_prefix: v.nullish(v.string()),
    // The rpm and tpm windows' length (60); shorter only to test limits quickly.
    rate_limit_window_seconds: v.nullish(seconds),
  },
  'expected a mapping',
);

export const litellmSettingsSchema = v.looseObject(
  {
    num_retries: v.nullish(count),
    request_timeout: v.nullish(seconds),
    fallbacks: v.nullish(fallbackList),
  },
  'expected a mapping',
);

export const passThroughEndpointSchema = v.looseObject({
  path: v.pipe(v.string('required: the route, e.g. /my-route'), v.startsWith('/', 'must start with "/"')),
  target: httpUrl,
  headers: v.nullish(headerMap),
  include_subpath: v.nullish(v.boolean()),
  forward_headers: v.nullish(v.boolean()),
});

export const generalSettingsSchema = v.looseObject(
  {
    master_key: v.nullish(scalarText),
    pass_through_endpoints: v.nullish(v.array(passThroughEndpointSchema, 'expected a list')),
    // The request log (LiteLLM's keys): off, bodies kept, a PostgreSQL URL; and how long rows are kept.
    disable_spend_logs: v.nullish(v.union([v.boolean(), v.string()], 'expected true or false')),
    store_prompts_in_spend_logs: v.nullish(v.union([v.boolean(), v.string()], 'expected true or false')),
    database_url: v.nullish(v.string('expected a postgres:// URL or an SQLite file')),
    log_retention_days: v.nullish(count),
    // Ours: rows held in memory while the store is slow or down (default 10,000); more are dropped and counted.
    log_queue_rows: v.nullish(count),
    // Ours: a call's row waits beside the SQLite file until this many have (default 64); 0 or 1 writes each at once.
    log_fold_every: v.nullish(wholeCount),
  },
  'expected a mapping',
);

const nameList = v.union([v.string(), v.array(v.string())], 'expected a name or a list of names');

/** A provider declared in the config, without code: an OpenAI-style or header-keyed HTTP API. */
export const declaredProviderSchema = v.object({
  id: v.pipe(v.string(quoting('must be a string, the provider id')), v.regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ or -')),
  label: v.optional(v.string()),
  aliases: v.optional(v.array(v.string())),
  api_base: v.optional(httpUrl),
  api_key_env: v.optional(nameList),
  api_base_env: v.optional(nameList),
  auth: v.optional(
    v.union([v.literal('bearer'), v.literal('none'), v.object({ header: v.pipe(v.string(), v.minLength(1)) })], 'expected "bearer", "none" or {header: name}'),
    'bearer',
  ),
  route_prefix: v.optional(v.pipe(v.string(), v.startsWith('/', 'must start with "/"'))),
  key_required: v.optional(v.boolean()),
  model: v.optional(v.picklist(['body', 'none'], 'expected "body" or "none"'), 'body'),
  health_path: v.optional(v.string()),
  models_path: v.optional(v.string()),
});

export const configSchema = v.looseObject({
  model_list: v.nullish(v.array(modelEntrySchema, 'expected a list of models')),
  router_settings: v.nullish(routerSettingsSchema),
  litellm_settings: v.nullish(litellmSettingsSchema),
  general_settings: v.nullish(generalSettingsSchema),
  environment_variables: v.nullish(v.record(v.string(), scalarText, 'expected a mapping')),
  providers: v.nullish(v.array(declaredProviderSchema, 'expected a list of providers')),
});

export type RawConfig = v.InferOutput<typeof configSchema>;
export type ModelEntry = v.InferOutput<typeof modelEntrySchema>;
export type LitellmParams = v.InferOutput<typeof litellmParamsSchema>;
export type DeclaredProvider = v.InferOutput<typeof declaredProviderSchema>;
export type PassThroughEndpoint = v.InferOutput<typeof passThroughEndpointSchema>;

/** `model_list[2].litellm_params.api_base` from an issue's path. */
export function formatIssuePath(path: ReadonlyArray<{ key: unknown }> | undefined): string {
  let out = '';
  for (const { key } of path ?? []) {
    if (typeof key === 'number') out += `[${key}]`;
    // A mapping's keys come from the file too: a key pasted as one is masked like a value.
    else out += out ? `.${masked(String(key))}` : masked(String(key));
  }
  return out || '(top level)';
}

export interface ConfigIssue {
  path: string;
  message: string;
}

/** Validates and reports every problem (the deepest issue of a union, where it says more). */
const REQUIRED: Record<string, string> = {
  model_name: 'the alias callers use',
  litellm_params: 'a mapping with model, api_base, api_key, ...',
  model: 'the provider-qualified model, e.g. "hosted_vllm/my-model"',
  path: 'the route, e.g. /my-route',
  target: 'the URL it forwards to',
  id: 'the provider id',
};

/** Validates and reports every problem; a missing key says it is required and what goes there. */
export function validateConfig(input: unknown): { ok: true; config: RawConfig } | { ok: false; issues: ConfigIssue[] } {
  // valibot's own messages ("... but received <value>") quote the value as written: ours quote it through quoteValue().
  const fallbackMessage = (issue: v.BaseIssue<unknown>) => quoting(`expected ${issue.expected ?? 'another value'}`)(issue);
  const result = v.safeParse(configSchema, input, { message: fallbackMessage });
  if (result.success) return { ok: true, config: result.output };
  return {
    ok: false,
    issues: result.issues.map((issue) => {
      const last = issue.path?.[issue.path.length - 1]?.key;
      const missing = issue.input === undefined && typeof last === 'string';
      let message = missing ? `required${REQUIRED[last] ? `: ${REQUIRED[last]}` : ''}` : issue.message;
      // Under api_key, master_key, vertex_credentials... the value is not quoted at all, even masked.
      const quote = ` (${quoteValue(issue.input)})`;
      if (issue.path?.some(({ key }) => isCredentialKey(key)) && message.endsWith(quote)) message = message.slice(0, -quote.length);
      return { path: formatIssuePath(issue.path), message };
    }),
  };
}
