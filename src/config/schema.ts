import * as z from 'zod';

/**
 * LiteLLM's config shape, validated structurally. Unknown keys are kept (a LiteLLM config.yaml has many
 * sections llmpass does not use). What LiteLLM only finds out when a model is called (an unsupported
 * provider, a model it cannot infer) is not checked here: such a config loads and only calling the alias fails.
 */

export const ENV_REF = /^os\.environ\//;

const envRef = z.string().regex(ENV_REF);

function isHttpUrl(value: string): boolean {
  if (ENV_REF.test(value) || value.includes('${')) return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const httpUrl = z.string().refine(isHttpUrl, { error: (issue) => `not a URL (${JSON.stringify(issue.input)})` });
const count = z.union([z.number().nonnegative(), envRef], { error: 'expected a number' });
const seconds = z.union([z.number().positive(), envRef, z.string().regex(/^\d+(\.\d+)?$/)], { error: 'expected seconds as a number' });
const headerMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

export const litellmParamsSchema = z.looseObject({
  model: z.string({ error: 'required: the provider-qualified model, e.g. "hosted_vllm/my-model"' }),
  api_base: httpUrl.nullish(),
  api_key: z.union([z.string(), z.number().transform(String)]).nullish(),
  api_version: z.string().nullish(),
  timeout: seconds.nullish(),
  stream_timeout: seconds.nullish(),
  extra_headers: headerMap.nullish(),
  headers: headerMap.nullish(),
  rpm: count.nullish(),
  tpm: count.nullish(),
  weight: count.nullish(),
  max_parallel_requests: count.nullish(),
});

export const modelEntrySchema = z.looseObject({
  model_name: z.string({ error: 'required: the alias callers use' }).min(1, 'must not be empty'),
  litellm_params: litellmParamsSchema,
  model_info: z.looseObject({}).nullish(),
});

const fallbackList = z.array(z.record(z.string(), z.union([z.array(z.string()), z.string().transform((s) => [s])])));

export const routerSettingsSchema = z.looseObject({
  num_retries: count.nullish(),
  routing_strategy: z.string().nullish(),
  allowed_fails: count.nullish(),
  cooldown_time: seconds.nullish(),
  timeout: seconds.nullish(),
  fallbacks: fallbackList.nullish(),
});

export const litellmSettingsSchema = z.looseObject({
  num_retries: count.nullish(),
  request_timeout: seconds.nullish(),
  fallbacks: fallbackList.nullish(),
});

export const passThroughEndpointSchema = z.looseObject({
  path: z.string().startsWith('/', 'must start with "/"'),
  target: httpUrl,
  headers: headerMap.nullish(),
  include_subpath: z.boolean().nullish(),
  forward_headers: z.boolean().nullish(),
});

export const generalSettingsSchema = z.looseObject({
  master_key: z.string().nullish(),
  pass_through_endpoints: z.array(passThroughEndpointSchema).nullish(),
});

/** A provider declared in the config, without code: an OpenAI-style or header-keyed HTTP API. */
export const declaredProviderSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ or -'),
  label: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  api_base: httpUrl.optional(),
  api_key_env: z.union([z.string(), z.array(z.string())]).optional(),
  api_base_env: z.union([z.string(), z.array(z.string())]).optional(),
  auth: z.union([z.literal('bearer'), z.literal('none'), z.object({ header: z.string().min(1) })]).default('bearer'),
  route_prefix: z.string().startsWith('/', 'must start with "/"').optional(),
  key_required: z.boolean().optional(),
  model: z.enum(['body', 'none']).default('body'),
  health_path: z.string().optional(),
  models_path: z.string().optional(),
});

export const configSchema = z.looseObject({
  model_list: z.array(modelEntrySchema).nullish(),
  router_settings: routerSettingsSchema.nullish(),
  litellm_settings: litellmSettingsSchema.nullish(),
  general_settings: generalSettingsSchema.nullish(),
  environment_variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).nullish(),
  providers: z.array(declaredProviderSchema).nullish(),
});

export type RawConfig = z.output<typeof configSchema>;
export type ModelEntry = z.output<typeof modelEntrySchema>;
export type LitellmParams = z.output<typeof litellmParamsSchema>;
export type DeclaredProvider = z.output<typeof declaredProviderSchema>;
export type PassThroughEndpoint = z.output<typeof passThroughEndpointSchema>;

/** `model_list[2].litellm_params.api_base` from a zod issue path. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(top level)';
}
