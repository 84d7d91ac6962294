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

/**
 * LiteLLM reads its config with PyYAML, which follows YAML 1.1: `tpm: 20_000` is the number 20000 there, `on` is
 * true, `<<` merges, and a repeated key overrides the one before; js-yaml's YAML 1.1 schema reads it the same way.
 * (js-yaml rather than the \`yaml\` package: ~6 ms to load and parse a small config against ~25 ms, on every call.)
 */
export async function loadYaml11(filepath: string, content: string): Promise<unknown> {
  checkSize(filepath, content);
  // Loaded on use: a JSON config, or none, never pays for the YAML parser.
  const { load, YAML11_SCHEMA, YAMLException } = await import('js-yaml');
  let value: unknown;
  try {
    value = load(content, { schema: YAML11_SCHEMA, json: true, maxAliases: 10_000 });
  } catch (error) {
    if (error instanceof YAMLException) {
      const mark = error.mark;
      const where = mark ? `:${mark.line + 1}:${mark.column + 1}` : '';
      // The reason alone: the exception's message adds a snippet of the file (a key, maybe) over several lines.
      throw new ConfigError(`${displayPath(filepath)}${where}: ${printable(error.reason.replace(/\s+/g, ' '))}`, { cause: error });
    }
    throw new ConfigError(`${displayPath(filepath)}: ${printable((error as Error).message.split('\n')[0] ?? '')}`, { cause: error });
  }
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
    throw new ConfigError(`${displayPath(filepath)}${place ? `:${place[1]}:${place[2]}` : ''}: invalid JSON: ${printable(reason)}`, { cause: error });
  }
}
