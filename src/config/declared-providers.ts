import { openAiUsage } from '../providers/usage-readers.ts';
import { openAiModelIds } from '../providers/model-lists.ts';
import { openAiStreamText } from '../providers/stream-text.ts';
import { layeredProviderTable, type ProviderTable } from '../providers/table.ts';
import type { ProviderSpec } from '../providers/types.ts';
import type { DeclaredProvider } from './schema.ts';

function list(value: string | string[] | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return Array.isArray(value) ? value : [value];
}

/** A provider declared under `providers:` in the config becomes a table entry, as if it were written in code. */
export function providerFromDeclaration(declared: DeclaredProvider): ProviderSpec {
  const upper = declared.id.toUpperCase().replace(/-/g, '_');
  const base = declared.api_base?.replace(/\/+$/, '');
  const spec: ProviderSpec = {
    id: declared.id,
    label: declared.label ?? declared.id,
    routePrefix: declared.route_prefix ?? `/${declared.id}`,
    apiBaseEnv: list(declared.api_base_env, [`${upper}_API_BASE`]),
    apiKeyEnv: list(declared.api_key_env, [`${upper}_API_KEY`]),
    keyRequired: declared.key_required ?? false,
    auth:
      declared.auth === 'bearer'
        ? { kind: 'bearer' }
        : declared.auth === 'none'
          ? { kind: 'none' }
          : { kind: 'header', name: declared.auth.header.toLowerCase() },
    join: { collapseSeam: 'v1' },
    joinExamples: base ? [[base, 'chat/completions', `${base}/chat/completions`]] : [],
    model: declared.model,
    // Most declared providers speak OpenAI's API; a stream in another shape is shown event by event.
    streamText: openAiStreamText,
    usage: openAiUsage,
  };
  if (base) spec.defaultApiBase = base;
  if (declared.aliases) spec.aliases = declared.aliases;
  if (declared.health_path) spec.health = { path: declared.health_path };
  if (declared.models_path) {
    spec.listModels = { path: declared.models_path, ids: openAiModelIds };
  }
  return spec;
}

/** A config's table: built-ins and `registerProvider()` additions, then its own declarations replacing same ids. */
export function configProviderTable(declared: DeclaredProvider[]): ProviderTable {
  return layeredProviderTable(declared.map(providerFromDeclaration));
}
