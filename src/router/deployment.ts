import type { Config } from '../config/load.ts';
import { firstEnv, resolveEnvValue, resolveSecret, type EnvLookup } from '../config/env.ts';
import type { ModelEntry } from '../config/schema.ts';
import { displayPath } from '../config/display-path.ts';
import { MissingSettingError, UnusableModelError, UsageError } from '../errors.ts';
import { parseModelRef } from '../providers/model-ref.ts';
import { registeredProviders, type ProviderTable } from '../providers/table.ts';
import type { ProviderSettings, ProviderSpec } from '../providers/types.ts';
import { environmentSettings, providerSettings } from '../config/provider-settings.ts';
import { Secret } from '../secret.ts';
import { isCredentialKey } from '../config/quote-value.ts';
import { baseSecrets, splitApiBase, type ApiBaseParts } from './api-base.ts';
import type { Deployment, DeploymentLimits, DeploymentOverrides } from '../core/deployment.ts';

function toSeconds(value: unknown, site: { alias?: string; key: string; file?: string }, env: EnvLookup): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'number' ? String(value) : resolveEnvValue(String(value), site, env).value;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new MissingSettingError(`${site.key} must be a positive number of seconds, got "${text}"`);
  return seconds;
}

/** A positive whole limit (`os.environ/VAR` allowed); 0 or unset is no limit. */
function toLimit(value: unknown, site: { alias?: string; key: string; file?: string }, env: EnvLookup): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'number' ? String(value) : resolveEnvValue(String(value), site, env).value;
  const limit = Number(text);
  if (!Number.isFinite(limit) || limit < 0) throw new MissingSettingError(`${site.key} must be a non-negative number, got "${text}"`);
  return limit > 0 ? Math.floor(limit) || 1 : undefined;
}

function resolveApiBase(provider: ProviderSpec, configured: string | undefined, who: string, env: EnvLookup, resolveConfigured: (v: string) => string, derived?: () => string | undefined): string {
  if (configured) return resolveConfigured(configured);
  const fromEnv = firstEnv(provider.apiBaseEnv, env);
  if (fromEnv) return fromEnv.value;
  // A base that follows from the deployment's settings (a region), before the provider's fixed default.
  const fromSettings = derived?.();
  if (fromSettings) return fromSettings;
  if (provider.defaultApiBase) return provider.defaultApiBase;
  const vars = provider.apiBaseEnv.join(' or ');
  throw new MissingSettingError(`${who} has no api base: set litellm_params.api_base or ${vars}`, { remedy: 'api-base' });
}

function resolveApiKey(provider: ProviderSpec, configured: Secret | undefined, who: string, env: EnvLookup): Secret | undefined {
  if (configured) return configured;
  const fromEnv = firstEnv(provider.apiKeyEnv, env);
  if (fromEnv) return new Secret(fromEnv.value, fromEnv.name);
  if (provider.keyRequired && provider.auth.kind !== 'none') {
    throw new MissingSettingError(`${who} needs an api key: set ${provider.apiKeyEnv.join(' or ')} or litellm_params.api_key`, { remedy: 'api-key' });
  }
  return undefined;
}

function overrideKey(key: string | Secret | undefined): Secret | undefined {
  if (key === undefined || key === '') return undefined;
  return typeof key === 'string' ? new Secret(key) : key;
}

/** What a deployment is made of; everything else follows from its provider. */
export interface DeploymentParts extends ApiBaseParts {
  id: string;
  alias?: string | undefined;
  provider: ProviderSpec;
  model: string;
  /** Its settings, resolved once here: hooks and signers read them, never the environment behind them. */
  settings: ProviderSettings;
  apiKey?: Secret | undefined;
  /** A configured `api_version`; else the provider's `apiVersionEnv` is read. */
  apiVersion?: string | undefined;
  headers?: Record<string, Secret>;
  timeoutMs?: number | undefined;
  weight?: number;
  limits?: DeploymentLimits | undefined;
  /** The entry's `model_info` (per-deployment prices). */
  modelInfo?: Record<string, unknown> | undefined;
}

/** The one place a Deployment is built: a config entry, a `provider/model`, a provider's default, a configured route. */
export function createDeployment({ headers = {}, weight = 1, apiVersion, ...parts }: DeploymentParts): Deployment {
  const { provider, settings } = parts;
  return {
    alias: undefined,
    apiKey: undefined,
    timeoutMs: undefined,
    ...parts,
    apiVersion: apiVersion ?? (provider.apiVersionEnv ? firstEnv(provider.apiVersionEnv, settings.env)?.value : undefined),
    headers,
    weight,
  };
}

/** Every credential a deployment holds, for masking text an upstream or a library may echo. */
export function deploymentSecrets(deployment: Deployment): Secret[] {
  const secrets = [...Object.values(deployment.headers), ...baseSecrets(deployment)];
  if (deployment.apiKey) secrets.push(deployment.apiKey);
  const { settings } = deployment;
  for (const key of settings.keys()) {
    if (!isCredentialKey(key)) continue;
    try {
      const secret = settings.secret(key);
      if (secret) secrets.push(secret);
    } catch {
      // a variable it needs is unset: then it holds nothing to mask
    }
  }
  return secrets;
}

/** Resolves a config entry when it is used: environment references are read now, not at load. */
export function resolveEntry(config: Config, entry: ModelEntry, index: number, overrides: DeploymentOverrides = {}): Deployment {
  const params = entry.litellm_params;
  const alias = entry.model_name;
  const file = config.filepath ? displayPath(config.filepath) : undefined;
  const who = `alias "${alias}"${file ? ` (${file})` : ''}`;
  const parsed = parseModelRef(params.model, config.providers);
  if (!parsed.ok) throw new UnusableModelError(`${who} cannot be called: ${parsed.reason}`);
  const site = (key: string) => ({ alias, key: `model_list[${index}].litellm_params.${key}`, file });
  const env = config.env;
  const settings = providerSettings(params as Record<string, unknown>, env, site, who);

  const base = splitApiBase(
    overrides.apiBase ??
      resolveApiBase(parsed.provider, params.api_base ?? undefined, who, env, (v) => resolveEnvValue(v, site('api_base'), env).value, () =>
        parsed.provider.apiBaseFrom?.(settings, parsed.model),
      ),
    who,
  );
  // An override wins before the config's reference is read: a key variable that is unset does not matter then.
  const apiKey =
    overrideKey(overrides.apiKey) ??
    resolveApiKey(parsed.provider, params.api_key ? resolveSecret(params.api_key, site('api_key'), env) : undefined, who, env);
  const headers: Record<string, Secret> = {};
  for (const [name, value] of Object.entries({ ...(params.headers ?? {}), ...(params.extra_headers ?? {}) })) {
    headers[name.toLowerCase()] = resolveSecret(value, site(`extra_headers.${name}`), env);
  }
  const timeout = toSeconds(params.timeout, site('timeout'), env);
  const rpm = toLimit(params.rpm, site('rpm'), env);
  const tpm = toLimit(params.tpm, site('tpm'), env);
  const weight = Number(params.weight ?? rpm ?? 1);
  return createDeployment({
    id: `${alias}#${index}`,
    alias,
    provider: parsed.provider,
    model: parsed.model,
    ...base,
    settings,
    apiKey,
    apiVersion: params.api_version ? resolveEnvValue(params.api_version, site('api_version'), env).value : undefined,
    headers,
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    weight: Number.isFinite(weight) && weight > 0 ? weight : 1,
    limits: rpm === undefined && tpm === undefined ? undefined : { rpm, tpm },
    modelInfo: entry.model_info ?? undefined,
  });
}

/** `provider/model` used directly, as the seed's `llm_passthrough_route(model=..., api_base=..., api_key=...)`. */
export function resolveDirect(ref: string, overrides: DeploymentOverrides, env: EnvLookup, providers: ProviderTable = registeredProviders): Deployment {
  const parsed = parseModelRef(ref, providers);
  if (!parsed.ok) throw new UnusableModelError(`model "${ref}" cannot be called: ${parsed.reason}`);
  const who = `model "${ref}"`;
  const settings = environmentSettings(env, who);
  const base = splitApiBase(overrides.apiBase ?? resolveApiBase(parsed.provider, undefined, who, env, (v) => v, () => parsed.provider.apiBaseFrom?.(settings, parsed.model)), who);
  const apiKey = overrideKey(overrides.apiKey) ?? resolveApiKey(parsed.provider, undefined, who, env);
  return createDeployment({ id: ref, provider: parsed.provider, model: parsed.model, ...base, settings, apiKey });
}

/**
 * A provider's own deployment, from its environment variables or defaults: what the proxy's `/<provider>/...`
 * routes use when the body names no alias. The model may be unknown (the body is forwarded untouched).
 */
export function resolveProviderDefault(provider: ProviderSpec, model: string, env: EnvLookup, params: Record<string, string> = {}): Deployment {
  const who = `route ${provider.routePrefix}`;
  // `params`: what the request's path names (a location), as an entry's litellm_params would.
  const settings = providerSettings(params, env, (key) => ({ key: `the path's ${key}` }), who);
  const fromEnv = firstEnv(provider.apiBaseEnv, env);
  const apiBase = fromEnv?.value ?? provider.apiBaseFrom?.(settings, model) ?? provider.defaultApiBase;
  if (!apiBase) {
    // The caller can fix this (name an alias), so it is a 400, not a server fault.
    throw new UsageError(`${who} has no upstream: name an alias from the config in the body's "model", or set ${provider.apiBaseEnv.join(' or ')}`);
  }
  const base = splitApiBase(apiBase, who);
  const key = firstEnv(provider.apiKeyEnv, env);
  return createDeployment({ id: `${provider.id}:default`, provider, model, ...base, settings, apiKey: key ? new Secret(key.value, key.name) : undefined });
}
