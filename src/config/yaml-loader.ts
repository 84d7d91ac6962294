import { cjsExports } from './cjs-import.ts';
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

/**
 * LiteLLM reads its config with PyYAML, which follows YAML 1.1: `tpm: 20_000` is the number 20000 there and
 * must be here. Alias expansion is capped so a "billion laughs" file fails fast instead of eating memory.
 */
export async function loadYaml11(filepath: string, content: string): Promise<unknown> {
  checkSize(filepath, content);
  // Loaded on use: a JSON config, or none, never pays for the YAML parser.
  const { parse, YAMLParseError } = cjsExports(await import('yaml'), 'parse');
  try {
    // Warnings (an unknown tag such as !!python/object) would go to stderr as several lines: the value is checked anyway.
    return parse(content, { version: '1.1', maxAliasCount: 100, prettyErrors: true, uniqueKeys: false, logLevel: 'error' });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const [line, col] = [error.linePos?.[0]?.line, error.linePos?.[0]?.col];
      const where = line ? `:${line}${col ? `:${col}` : ''}` : '';
      const first = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '').replace(/\s+/g, ' ') ?? 'invalid YAML';
      throw new ConfigError(`${displayPath(filepath)}${where}: ${printable(first)}`, { cause: error });
    }
    throw new ConfigError(`${displayPath(filepath)}: ${printable((error as Error).message.split('\n')[0] ?? '')}`, { cause: error });
  }
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
