import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config/load.ts';
import { findProvider } from '../providers/registry.ts';

interface ManifestFlag {
  type: 'boolean' | 'option';
  char?: string;
}

/** The `call` flags that take a value, from oclif's manifest (one JSON read; oclif itself is not loaded). */
async function valueFlags(root: URL): Promise<Set<string>> {
  try {
    const manifest = JSON.parse(await readFile(new URL('oclif.manifest.json', root), 'utf8')) as { commands: Record<string, { flags: Record<string, ManifestFlag> }> };
    const names = new Set<string>();
    for (const [name, flag] of Object.entries(manifest.commands.call?.flags ?? {})) {
      if (flag.type !== 'option') continue;
      names.add(`--${name}`);
      if (flag.char) names.add(`-${flag.char}`);
    }
    return names;
  } catch {
    return new Set();
  }
}

/** MODEL and ENDPOINT typed so far, and the config a `--config` names, from the words after `call`. */
function positionals(words: readonly string[], takesValue: Set<string>): { args: string[]; config: string | undefined } {
  const args: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-') || word === '-') args.push(word);
    else if (!word.includes('=') && takesValue.has(word)) {
      if (word === '--config' || word === '-c') config = words[i + 1];
      i++;
    } else if (word.startsWith('--config=')) config = word.slice('--config='.length);
  }
  return { args, config };
}

function endpointsOf(model: string, modelList: ReadonlyArray<{ model_name: string; litellm_params: { model: string } }>): readonly string[] {
  const upstream = modelList.find((entry) => entry.model_name === model)?.litellm_params.model ?? model;
  const prefix = upstream.split('/', 1)[0]!;
  return findProvider(prefix)?.endpoints ?? [];
}

/**
 * `llmpass __complete call WORD...` (the shell scripts of `llmpass autocomplete` call it): the aliases of the config
 * this directory would load after `call`, then the endpoints the alias's provider is known for; one per line.
 * Runs without oclif, for speed; any failure (no config, a broken one) completes nothing.
 */
export async function printCompletions(words: readonly string[], root: URL): Promise<void> {
  if (words[0] !== 'call') return;
  const { args, config: configPath } = positionals(words.slice(1), await valueFlags(root));
  if (args.length > 1) return;
  let candidates: readonly string[] = [];
  try {
    const config = await loadConfig({ configPath });
    candidates = args.length === 0 ? [...new Set(config.modelList.map((entry) => entry.model_name).filter((name) => !name.includes('*')))] : endpointsOf(args[0]!, config.modelList);
  } catch {
    // Completion must never print an error into the command line being typed.
  }
  if (candidates.length) process.stdout.write(`${candidates.join('\n')}\n`);
}
