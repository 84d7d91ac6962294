import type { Schema } from 'js-yaml';
import { ConfigError } from '../errors.ts';
import { displayPath } from './display-path.ts';

/**
 * The largest config read: six thousand deployments fit in it, and YAML takes seconds and hundreds of MiB per
 * MiB beyond it. A bigger file is refused before it is parsed, however it was found.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function checkSize(filepath: string, content: string): void {
  const bytes = Buffer.byteLength(content);
  if (bytes > MAX_CONFIG_BYTES) throw new ConfigError(`config file ${displayPath(filepath)} is ${bytes} bytes; the limit is ${MAX_CONFIG_BYTES}`);
}

/** Nodes a loaded config may hold once its aliases are followed: far above any real config, far below a bomb. */
const MAX_EXPANDED_NODES = 200_000;

/**
 * A "billion laughs" file: few aliases, each naming a list of the one before. The loader shares the aliased
 * value instead of copying it, but everything that walks the config would visit it exponentially often.
 */
function checkExpansion(value: unknown, filepath: string): void {
  let budget = MAX_EXPANDED_NODES;
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const children = Array.isArray(node) ? node : Object.values(node);
    budget -= children.length;
    if (budget < 0) throw new ConfigError(`${displayPath(filepath)}: its aliases expand to over ${MAX_EXPANDED_NODES} values; write the repeated parts out or use fewer aliases`);
    for (const child of children) stack.push(child);
  }
}

type JsYaml = typeof import('js-yaml');

/** The words PyYAML's resolver reads as booleans; `!!bool` takes them in any case, as PyYAML's constructor does. */
const PYYAML_TRUE = ['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const PYYAML_FALSE = ['no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];

let schema: Schema | undefined;

/**
 * The YAML 1.1 that PyYAML's safe_load reads, which LiteLLM uses for its config: `tpm: 20_000` is 20000, 0x1F,
 * 0777 and 1:30 are numbers, `on`/`yes` are true, `<<` merges. Not js-yaml's YAML11_SCHEMA as it is: its bool
 * tag also takes y/Y/n/N (`{x: 1, y: 2}` would get a key "true"), and its timestamp tag turns
 * `api_version: 2024-02-01` into a Date, which the config schema refuses where LiteLLM accepts the value.
 * So: PyYAML's bool words only, and no timestamp tag, which leaves a date the text as written.
 */
function pyYamlSchema(yaml: JsYaml): Schema {
  if (schema) return schema;
  const { FAILSAFE_SCHEMA, NOT_RESOLVED, defineScalarTag } = yaml;
  const bool = defineScalarTag('tag:yaml.org,2002:bool', {
    implicit: true,
    implicitFirstChars: ['y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O'],
    resolve: (source, isExplicit) => {
      const word = isExplicit ? source.toLowerCase() : source;
      if (PYYAML_TRUE.includes(word)) return true;
      if (PYYAML_FALSE.includes(word)) return false;
      return NOT_RESOLVED;
    },
    identify: (data) => typeof data === 'boolean',
  });
  schema = FAILSAFE_SCHEMA.withTags(
    yaml.nullYaml11Tag,
    bool,
    yaml.intYaml11Tag,
    yaml.floatYaml11Tag,
    yaml.mergeTag,
    // The other explicit tags safe_load knows; a config has no use for them, but they were read before.
    yaml.binaryTag,
    yaml.omapTag,
    yaml.pairsTag,
    yaml.setTag,
  );
  return schema;
}

/**
 * Reasons that would quote the file: js-yaml names the tag or alias it cannot resolve, and an unquoted value
 * starting with `!` or `*` (an API key, say) is read as one. Their wording replaces them.
 */
const QUOTING_REASONS: Array<[RegExp, string]> = [
  [/^unknown \w+ tag\b/, 'unknown tag (quote a value that starts with "!")'],
  [/^undeclared tag handle\b/, 'unknown tag (quote a value that starts with "!")'],
  [/^tag name cannot contain such characters\b/, 'invalid tag (quote a value that starts with "!")'],
  [/^cannot resolve a node with .* explicit tag$/s, 'the value does not fit its explicit tag'],
  [/^there is a previously declared suffix\b/, 'a %TAG handle declared twice'],
  [/^unidentified alias\b/, 'unknown alias (quote a value that starts with "*")'],
  [/^recursive alias\b/, 'an alias inside the value it names'],
  [/^merge keys exceeded maxTotalMergeKeys\b/, `its merge keys (<<) copy over ${MAX_EXPANDED_NODES} values; write the repeated parts out or merge less`],
];

function safeReason(reason: string): string {
  for (const [pattern, wording] of QUOTING_REASONS) if (pattern.test(reason)) return wording;
  // A reason not listed above (a newer js-yaml) may still quote a name: it goes.
  return reason.replace(/!<[^>]*>|"[^"]*"/g, '(name left out)');
}

/**
 * Reads a config as LiteLLM's `yaml.safe_load` does (see pyYamlSchema); a repeated key overrides the one before.
 * (js-yaml rather than the \`yaml\` package: ~6 ms to load and parse a small config against ~25 ms, on every call.)
 */
export async function loadYaml11(filepath: string, content: string): Promise<unknown> {
  checkSize(filepath, content);
  // Loaded on use: a JSON config, or none, never pays for the YAML parser.
  const yaml = await import('js-yaml');
  let documents: unknown[];
  try {
    // loadAll: a file of comments only is no document, an empty config as PyYAML has it, where load throws.
    // Merge keys share the node budget: a real config may merge defaults into thousands of deployments.
    documents = yaml.loadAll(content, { schema: pyYamlSchema(yaml), json: true, maxAliases: 10_000, maxTotalMergeKeys: MAX_EXPANDED_NODES });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const mark = error.mark;
      const where = mark ? `:${mark.line + 1}:${mark.column + 1}` : '';
      // The reason alone, and no `cause`: the exception's message carries a snippet of the file (a key, maybe).
      throw new ConfigError(`${displayPath(filepath)}${where}: ${printable(safeReason(error.reason).replace(/\s+/g, ' '))}`);
    }
    throw new ConfigError(`${displayPath(filepath)}: ${printable((error as Error).message.split('\n')[0] ?? '')}`, { cause: error });
  }
  // safe_load refuses a second document too, rather than pick one.
  if (documents.length > 1) throw new ConfigError(`${displayPath(filepath)}: holds ${documents.length} YAML documents (split by "---" lines); a config is one`);
  // No document (comments only) is an empty file to cosmiconfig (undefined): found, and an empty config.
  if (documents.length === 0) return undefined;
  const value = documents[0] ?? null;
  if (content.includes('*')) checkExpansion(value, filepath);
  return value;
}

/** Control characters escaped: a message stays one line whatever the file holds. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function loadJsonConfig(filepath: string, content: string): unknown {
  checkSize(filepath, content);
  try {
    return JSON.parse(content);
  } catch (error) {
    // V8 quotes the text around the error (a key, maybe); only the place and the reason go into the message.
    const message = (error as Error).message;
    const place = /\(line (\d+) column (\d+)\)/.exec(message);
    const reason = message.replace(/, ".*is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
    // No `cause`: V8's message quotes the text around the error.
    throw new ConfigError(`${displayPath(filepath)}${place ? `:${place[1]}:${place[2]}` : ''}: invalid JSON: ${printable(reason)}`);
  }
}
