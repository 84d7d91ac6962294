import type { Config } from '../config/load.ts';
import type { ModelEntry } from '../config/schema.ts';
import { displayPath } from '../config/display-path.ts';
import type { Deployment, DeploymentOverrides } from '../core/deployment.ts';
import { UnknownModelError } from '../errors.ts';
import { parseModelRef } from '../providers/model-ref.ts';
import type { Candidates } from './call.ts';
import { resolveDirect, resolveEntry } from './deployment.ts';
import { closest } from './select.ts';

/**
 * Longest model name a wildcard route is matched against: a pattern with several `*` backtracks, and the name
 * may come from a client's body (the proxy), so a huge one must not cost quadratic time.
 */
const MAX_WILDCARD_NAME = 512;

/** Resolved names kept at most: a client may send any number of distinct `provider/model` names. */
const MAX_RESOLVED = 10_000;

interface Entry {
  entry: ModelEntry;
  index: number;
}

interface WildcardRoute extends Entry {
  regex: RegExp;
}

function wildcardRegex(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('(.*)')}$`);
}

/**
 * A config's model names and what they resolve to: exact aliases, then LiteLLM's wildcard routes
 * (`anthropic/*`), then a `provider/model` used directly; anything else is an unknown model, with suggestions.
 */
export class AliasTable {
  readonly #config: Config;
  readonly #exact = new Map<string, Entry[]>();
  readonly #wildcards: WildcardRoute[] = [];
  /** Resolved deployments per model name (without overrides): resolving reads the environment once per name. */
  readonly #resolved = new Map<string, Candidates>();

  constructor(config: Config) {
    this.#config = config;
    config.modelList.forEach((entry, index) => {
      if (entry.model_name.includes('*')) this.#wildcards.push({ regex: wildcardRegex(entry.model_name), entry, index });
      else {
        const list = this.#exact.get(entry.model_name) ?? [];
        list.push({ entry, index });
        this.#exact.set(entry.model_name, list);
      }
    });
  }

  /** The aliases callers can use, in config order (wildcard routes included as written). */
  aliases(): string[] {
    return [...new Set(this.#config.modelList.map((entry) => entry.model_name))];
  }

  isAlias(model: string): boolean {
    return this.#exact.has(model) || this.#wildcardFor(model) !== undefined;
  }

  aliasOf(model: string): string | undefined {
    if (this.#exact.has(model)) return model;
    return this.#wildcardFor(model)?.route.entry.model_name;
  }

  #wildcardFor(model: string): { route: WildcardRoute; match: RegExpExecArray } | undefined {
    if (model.length > MAX_WILDCARD_NAME) return undefined;
    for (const route of this.#wildcards) {
      const match = route.regex.exec(model);
      if (match) return { route, match };
    }
    return undefined;
  }

  resolve(model: string, overrides: DeploymentOverrides = {}): Candidates {
    const cacheable = overrides.apiBase === undefined && overrides.apiKey === undefined;
    const cached = cacheable ? this.#resolved.get(model) : undefined;
    if (cached) return cached;
    const resolved = this.#resolveUncached(model, overrides);
    if (cacheable && resolved.alias !== undefined && this.#resolved.size < MAX_RESOLVED) this.#resolved.set(model, resolved);
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
    if (parseModelRef(model, this.#config.providers).ok && model.includes('/')) {
      return { alias: undefined, deployments: [resolveDirect(model, overrides, this.#config.env, this.#config.providers)] };
    }
    throw this.unknownModel(model);
  }

  #resolveAll(entries: Entry[], overrides: DeploymentOverrides): Deployment[] {
    const resolved: Deployment[] = [];
    let firstError: unknown;
    for (const { entry, index } of entries) {
      try {
        resolved.push(resolveEntry(this.#config, entry, index, overrides));
      } catch (error) {
        firstError ??= error;
      }
    }
    if (resolved.length === 0) throw firstError;
    return resolved;
  }

  /** A name that is no alias: where it was looked for, why a `provider/model` is unusable, the closest aliases. */
  unknownModel(model: string, also?: string): UnknownModelError {
    const config = this.#config;
    const where = config.filepath ? `in ${displayPath(config.filepath)}` : 'in any config (none was found)';
    const near = closest(model, this.aliases());
    const hint = near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : model.includes('/') ? '' : '; use an alias or provider/model';
    const parsed = parseModelRef(model, config.providers);
    const why = !parsed.ok && model.includes('/') ? ` (${parsed.reason})` : '';
    const message = `unknown model "${model}": no such alias ${where}${why}${hint}`;
    // The fix for a missing config is the CLI's to word (`remedy`); `also` says what else failed (the proxy's route).
    return also ? new UnknownModelError(`${message}; ${also}`) : new UnknownModelError(message, config.filepath ? undefined : { remedy: 'config' });
  }
}
