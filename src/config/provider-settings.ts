import type { ProviderSettings } from '../providers/types.ts';
import { Secret } from '../secret.ts';
import { resolveEnvValue, type EnvLookup, type ValueSite } from './env.ts';

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  // A mapping (an inline service-account key written as YAML) is handed over as the JSON it stands for.
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text === '' ? undefined : text;
}

/**
 * A deployment's `litellm_params` for provider hooks, resolved on each read: a variable set or changed after the
 * config was loaded counts, and an alias nobody calls never fails on a variable it would need.
 */
export function providerSettings(params: Record<string, unknown>, env: EnvLookup, site: (key: string) => ValueSite, who: string): ProviderSettings {
  const read = (key: string): { value: string; source?: string } | undefined => {
    const raw = asText(params[key]);
    if (raw === undefined) return undefined;
    const resolved = resolveEnvValue(raw, site(key), env);
    return resolved.value === '' ? undefined : resolved;
  };
  return {
    text: (key) => read(key)?.value,
    secret: (key) => {
      const resolved = read(key);
      return resolved ? new Secret(resolved.value, resolved.source) : undefined;
    },
    keys: () => Object.keys(params),
    env,
    who,
  };
}

/** Settings of a deployment built without a config entry: only the environment. */
export function environmentSettings(env: EnvLookup = (name) => process.env[name], who = 'the deployment'): ProviderSettings {
  return providerSettings({}, env, (key) => ({ key }), who);
}
