import type { ProviderSpec } from '../../providers/types.ts';

export interface InitConfigOptions {
  provider: ProviderSpec;
  apiBase: string;
  models: readonly string[];
  /** The variable that holds the key, written as `os.environ/VAR`; the key itself is never written. */
  apiKeyEnv?: string | undefined;
}

/**
 * A short, readable alias for a served model: its last path segment, lower-cased, Ollama's `:latest` dropped and
 * any other tag joined with `-` (`papluca/xlm-roberta-base-language-detection` → `xlm-roberta-base-language-detection`,
 * `qwen2.5:7b` → `qwen2.5-7b`).
 */
export function aliasFor(model: string): string {
  const last = model.split('/').filter(Boolean).at(-1) ?? model;
  const alias = last
    .replace(/:latest$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return alias || 'model';
}

/** Aliases for every model, unique: a repeated one gets `-2`, `-3`, ... */
export function aliasesFor(models: readonly string[]): string[] {
  const taken = new Set<string>();
  return models.map((model) => {
    const base = aliasFor(model);
    let alias = base;
    for (let n = 2; taken.has(alias); n++) alias = `${base}-${n}`;
    taken.add(alias);
    return alias;
  });
}

// Plain YAML 1.1 scalars that PyYAML would read as something other than this text are quoted.
const PLAIN = /^[A-Za-z0-9_/][\w./@+-]*(?::[\w./@+-]+)*$/;
const YAML11_SPECIAL = /^(?:y|n|yes|no|on|off|true|false|null|~|[-+]?(?:0x[\da-f_]+|0b[01_]+|[\d_.:]+(?:e[-+]?\d+)?|\.inf|\.nan))$/i;

function scalar(text: string): string {
  return PLAIN.test(text) && !YAML11_SPECIAL.test(text) ? text : JSON.stringify(text);
}

/** The `llmpass.config.yaml` that `llmpass init` writes: one alias per served model, LiteLLM's shape. */
export function renderInitConfig(options: InitConfigOptions): string {
  const { provider, apiBase, models, apiKeyEnv } = options;
  const aliases = aliasesFor(models);
  const lines = [
    `# Written by llmpass init: the models ${provider.label} serves at ${apiBase}.`,
    `# Call one: llmpass call ${aliases[0] ?? 'ALIAS'} ENDPOINT key=value ...`,
    'model_list:',
  ];
  models.forEach((model, i) => {
    lines.push(`  - model_name: ${scalar(aliases[i]!)}`, '    litellm_params:', `      model: ${scalar(`${provider.id}/${model}`)}`, `      api_base: ${scalar(apiBase)}`);
    if (apiKeyEnv) lines.push(`      api_key: ${scalar(`os.environ/${apiKeyEnv}`)}`);
  });
  return `${lines.join('\n')}\n`;
}
