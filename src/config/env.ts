import { MissingSettingError } from '../errors.ts';
import { Secret } from '../secret.ts';
import { ENV_REF } from './schema.ts';

/** Where a value came from, so a missing variable names the alias and key that needed it. */
export interface ValueSite {
  alias?: string | undefined;
  key: string;
  file?: string | undefined;
}

export type EnvLookup = (name: string) => string | undefined;

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|os\.environ\/([A-Za-z_][A-Za-z0-9_]*)/g;

function missing(name: string, site: ValueSite): MissingSettingError {
  const who = site.alias ? `alias "${site.alias}" needs it for ${site.key}` : `${site.key} needs it`;
  const where = site.file ? ` (${site.file})` : '';
  return new MissingSettingError(`environment variable ${name} is not set: ${who}${where}`);
}

/**
 * Resolves `os.environ/VAR` (LiteLLM's form) and `${VAR}` inside a string, when a deployment is used rather than
 * at load: a missing variable for an alias nobody calls is not an error.
 */
export function resolveEnvValue(value: string, site: ValueSite, env: EnvLookup): { value: string; source?: string; shown?: string; parts?: string[] } {
  if (ENV_REF.test(value)) {
    const name = value.replace(ENV_REF, '');
    const found = env(name);
    if (found === undefined || found === '') throw missing(name, site);
    return { value: found, source: name };
  }
  if (!value.includes('${') && !value.includes('os.environ/')) return { value };
  // Inside a longer value too, as LiteLLM resolves headers like "Bearer os.environ/COHERE_API_KEY".
  const parts: string[] = [];
  const replaced = value.replace(INTERPOLATION, (_match, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const found = env(name);
    if (found === undefined) throw missing(name, site);
    parts.push(found);
    return found;
  });
  if (!parts.length) return { value };
  // How a person sees it: the text around the references as written, each reference as `$VAR`.
  const shown = value.replace(INTERPOLATION, (_match, braced: string | undefined, bare: string | undefined) => `$${braced ?? bare}`);
  return { value: replaced, shown, parts };
}

/**
 * A config value resolved to a Secret that shows as `$VAR` (or `Bearer $VAR` for a value written around a reference),
 * and as `***` when written out in the file: a literal in a credential's place is itself the credential.
 */
export function resolveSecret(value: string, site: ValueSite, env: EnvLookup): Secret {
  const resolved = resolveEnvValue(value, site, env);
  return new Secret(resolved.value, resolved.source, resolved.shown, resolved.parts);
}

/** The first of several conventional variables that is set (`HOSTED_VLLM_API_KEY`, then `VLLM_API_KEY`). */
export function firstEnv(names: readonly string[], env: EnvLookup): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env(name);
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}
