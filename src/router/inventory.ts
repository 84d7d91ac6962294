import type { Config } from '../config/load.ts';
import type { ModelEntry } from '../config/schema.ts';
import { displayPath } from '../config/display-path.ts';
import { maskedUrlText } from '../config/quote-value.ts';
import { isLlmpassError } from '../errors.ts';
import { parseModelRef, type ParsedModel } from '../providers/model-ref.ts';
import { displayBase, splitApiBase } from './api-base.ts';
import { resolveEntry } from './deployment.ts';
import type { Deployment } from '../core/deployment.ts';

/** One `model_list` entry as `llmpass models` shows it: where it goes, and whether it can be called now. */
export interface DeploymentSummary {
  /** Its position in `model_list`. */
  index: number;
  /** `alias#index`, as the Router names deployments. */
  id: string;
  provider: string | null;
  model: string | null;
  /** Resolved when it can be, else as configured (`os.environ/VLLM_BASE`); a password in it is masked. */
  apiBase: string | null;
  usable: boolean;
  /** Why it cannot be called: an unsupported provider, a bare name, a missing environment variable... */
  reason: string | null;
}

export interface AliasSummary {
  alias: string;
  /** A LiteLLM wildcard route (`anthropic/*`). */
  wildcard: boolean;
  /** At least one deployment can be called, so the Router can serve the alias. */
  usable: boolean;
  deployments: DeploymentSummary[];
}

/** A config entry and its resolution: the deployment, or the typed error that says why there is none. */
export type ResolvedEntry =
  | { index: number; entry: ModelEntry; ok: true; deployment: Deployment }
  | { index: number; entry: ModelEntry; ok: false; reason: string; parsed: ParsedModel };

/** An api base as configured, for a person: userinfo and query values (credentials sent with it) masked. */
export function displayApiBase(base: string): string {
  try {
    return displayBase(splitApiBase(base, 'api base'));
  } catch {
    return maskedUrlText(base);
  }
}

function whoPrefix(config: Config, alias: string): string {
  const file = config.filepath ? displayPath(config.filepath) : undefined;
  return `alias "${alias}"${file ? ` (${file})` : ''} `;
}

/** A reason without the "alias "x" (file)" its message starts with: the row already says which alias. */
function reasonOf(error: unknown, config: Config, alias: string): string {
  if (!isLlmpassError(error)) throw error;
  const prefix = whoPrefix(config, alias);
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return message.replace(/^cannot be called: /, '');
}

/** Resolves every `model_list` entry now (environment references included), keeping failures as reasons. */
export function resolveEntries(config: Config): ResolvedEntry[] {
  return config.modelList.map((entry, index) => {
    const parsed = parseModelRef(entry.litellm_params.model, config.providers);
    if (!parsed.ok) return { index, entry, ok: false, reason: parsed.reason, parsed };
    try {
      return { index, entry, ok: true, deployment: resolveEntry(config, entry, index) };
    } catch (error) {
      return { index, entry, ok: false, reason: reasonOf(error, config, entry.model_name), parsed };
    }
  });
}

/** What a person may see of a resolved (or unresolvable) entry. */
export function summariseEntry(resolved: ResolvedEntry): DeploymentSummary {
  const { index, entry } = resolved;
  const id = `${entry.model_name}#${index}`;
  if (resolved.ok) {
    const { deployment } = resolved;
    return { index, id, provider: deployment.provider.id, model: deployment.model, apiBase: displayBase(deployment), usable: true, reason: null };
  }
  const { parsed } = resolved;
  const configured = entry.litellm_params.api_base ?? (parsed.ok ? parsed.provider.defaultApiBase : undefined);
  return {
    index,
    id,
    provider: parsed.ok ? parsed.provider.id : null,
    model: parsed.ok ? parsed.model : entry.litellm_params.model,
    apiBase: configured ? displayApiBase(configured) : null,
    usable: false,
    reason: resolved.reason,
  };
}

/** The config's aliases in config order, each with its deployments; credentials are never part of it. */
export function describeModels(config: Config): AliasSummary[] {
  const byAlias = new Map<string, AliasSummary>();
  for (const resolved of resolveEntries(config)) {
    const alias = resolved.entry.model_name;
    let summary = byAlias.get(alias);
    if (!summary) {
      summary = { alias, wildcard: alias.includes('*'), usable: false, deployments: [] };
      byAlias.set(alias, summary);
    }
    const deployment = summariseEntry(resolved);
    summary.deployments.push(deployment);
    summary.usable ||= deployment.usable;
  }
  return [...byAlias.values()];
}
