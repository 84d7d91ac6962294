import type { ProviderTable } from './table.ts';
import type { ProviderSpec } from './types.ts';

export type ParsedModel =
  | { ok: true; provider: ProviderSpec; model: string }
  | { ok: false; reason: string };

/**
 * `hosted_vllm/papluca/xlm-roberta-base-language-detection`: the provider is the first segment and the model
 * the rest, slashes and all. A bare name is inferred for the families LiteLLM infers (`gpt-*`, `claude-*`...).
 * Failures are reasons, not throws: a config may hold models we cannot call yet, and only calling one is an error.
 */
export function parseModelRef(ref: string, providers: ProviderTable): ParsedModel {
  const slash = ref.indexOf('/');
  if (slash > 0) {
    const provider = providers.find(ref.slice(0, slash));
    if (provider) {
      const model = ref.slice(slash + 1);
      if (!model) return { ok: false, reason: `"${ref}" names no model after "${ref.slice(0, slash)}/"` };
      return { ok: true, provider, model };
    }
  }
  const inferred = providers.list().find((spec) => spec.infersBareModel?.test(ref));
  if (inferred) return { ok: true, provider: inferred, model: ref };
  if (slash > 0) {
    return {
      ok: false,
      reason: `provider "${ref.slice(0, slash)}" is not supported (run \`llmpass providers\` for the list, or declare it under \`providers:\` in the config)`,
    };
  }
  return {
    ok: false,
    reason: `cannot tell the provider of "${ref}": write it as provider/model, e.g. "openai/${ref}" or "hosted_vllm/${ref}"`,
  };
}
