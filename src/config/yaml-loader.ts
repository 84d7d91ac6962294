import { cjsExports } from './cjs-import.ts';
import { ConfigError } from '../errors.ts';
import { displayPath } from './display-path.ts';

/**
 * LiteLLM reads its config with PyYAML, which follows YAML 1.1: `tpm: 20_000` is the number 20000 there and
 * must be here. Alias expansion is capped so a "billion laughs" file fails fast instead of eating memory.
 */
export async function loadYaml11(filepath: string, content: string): Promise<unknown> {
  // Loaded on use: a JSON config, or none, never pays for the YAML parser.
  const { parse, YAMLParseError } = cjsExports(await import('yaml'), 'parse');
  try {
    return parse(content, { version: '1.1', maxAliasCount: 100, prettyErrors: true, uniqueKeys: false });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const [line, col] = [error.linePos?.[0]?.line, error.linePos?.[0]?.col];
      const where = line ? `:${line}${col ? `:${col}` : ''}` : '';
      const first = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '').replace(/\s+/g, ' ') ?? 'invalid YAML';
      throw new ConfigError(`${displayPath(filepath)}${where}: ${first}`, { cause: error });
    }
    throw new ConfigError(`${displayPath(filepath)}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

export function loadJsonConfig(filepath: string, content: string): unknown {
  try {
    return JSON.parse(content);
  } catch (error) {
    throw new ConfigError(`${displayPath(filepath)}: invalid JSON: ${(error as Error).message}`, { cause: error });
  }
}
