import type { EnvLookup } from '../config/env.ts';
import { firstEnv } from '../config/env.ts';
import { registeredProviders, type ProviderTable } from './table.ts';
import type { AuthScheme, ProviderSpec } from './types.ts';

/** What a person or a script may know about a provider: facts from its entry, never a credential. */
export interface ProviderSummary {
  id: string;
  label: string;
  aliases: string[];
  routePrefix: string;
  /** Null for self-hosted servers, which need an api base from the config or the environment. */
  defaultApiBase: string | null;
  /** `bearer`, the header name that carries the key (`x-api-key`), a signed scheme's name (`AWS SigV4`), or `none`. */
  auth: string;
  authKind: AuthScheme['kind'];
  keyVariables: string[];
  keyRequired: boolean;
  baseVariables: string[];
}

/** The summary plus what this machine has: whether a key variable is set (its name, never its value). */
export interface ProviderStatus extends ProviderSummary {
  keySet: boolean;
  /** The first key variable that is set, e.g. `OPENAI_API_KEY`. */
  keyVariableSet: string | null;
  /** `config` for a provider declared under `providers:` in the config. */
  source: 'built-in' | 'config';
}

export function describeAuth(auth: AuthScheme): string {
  switch (auth.kind) {
    case 'bearer':
      return 'bearer';
    case 'header':
      return auth.name;
    case 'none':
      return 'none';
    case 'signed':
      return auth.scheme;
  }
}

export function describeProvider(spec: ProviderSpec): ProviderSummary {
  return {
    id: spec.id,
    label: spec.label,
    aliases: [...(spec.aliases ?? [])],
    routePrefix: spec.routePrefix,
    defaultApiBase: spec.defaultApiBase ?? null,
    auth: describeAuth(spec.auth),
    authKind: spec.auth.kind,
    // A signed scheme's credential variables first: they are what most setups use (a key is the alternative).
    keyVariables: spec.auth.kind === 'none' ? [] : [...(spec.auth.kind === 'signed' ? spec.auth.credentialEnv : []), ...spec.apiKeyEnv],
    keyRequired: spec.keyRequired && spec.auth.kind !== 'none',
    baseVariables: [...spec.apiBaseEnv],
  };
}

export interface DescribeProvidersOptions {
  /** Where key variables are looked up: a loaded config's `env` (the process, then `environment_variables`). */
  env?: EnvLookup;
  /** The table to describe: a config's (`config.providers`); the registered providers alone by default. */
  providers?: ProviderTable;
  /** Ids of the providers a config declared, to mark them. */
  declared?: Iterable<string>;
}

/** Every provider in the table (built-in and registered ones), in table order, with whether its key is set. */
export function describeProviders(options: DescribeProvidersOptions = {}): ProviderStatus[] {
  const env = options.env ?? ((name: string) => process.env[name]);
  const declared = new Set(options.declared ?? []);
  return (options.providers ?? registeredProviders).list().map((spec) => {
    const summary = describeProvider(spec);
    const set = firstEnv(summary.keyVariables, env);
    return {
      ...summary,
      keySet: set !== undefined,
      keyVariableSet: set?.name ?? null,
      source: declared.has(spec.id) ? 'config' : 'built-in',
    };
  });
}
