import { existsSync, realpathSync, statSync } from 'node:fs';
import type { Loader } from 'cosmiconfig';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { cjsExports } from './cjs-import.ts';
import { displayPath } from './display-path.ts';
import type { EnvLookup } from './env.ts';
import { validateConfig, type ModelEntry, type RawConfig } from './schema.ts';
import { configProviderTable } from './declared-providers.ts';
import type { ProviderTable } from '../providers/table.ts';
import { loadJsonConfig, loadYaml11, MAX_CONFIG_BYTES } from './yaml-loader.ts';

export interface Config {
  /** The file it came from; undefined when no file was found or the config was given as an object. */
  filepath: string | undefined;
  raw: RawConfig;
  modelList: ModelEntry[];
  /** The process environment first, then the config's `environment_variables` (as LiteLLM loads them). */
  env: EnvLookup;
  /** Built-ins, then `registerProvider()` additions, then the config's own `providers:` (same id replaces). */
  providers: ProviderTable;
}

export interface LoadConfigOptions {
  /** A file to load instead of searching (`--config`); `LLMPASS_CONFIG` is the fallback. */
  configPath?: string | undefined;
  /** Where the search starts. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const MODULE = 'llmpass';

const MAX_PROBLEMS = 10;

/** Validates a config object (from a file, package.json or code) and reports every problem with its path. */
export function configFromObject(input: unknown, filepath?: string, processEnv: NodeJS.ProcessEnv = process.env): Config {
  const where = filepath ? `${displayPath(filepath)}: ` : 'config: ';
  if (input !== null && input !== undefined && (typeof input !== 'object' || Array.isArray(input))) {
    throw new ConfigError(`${where}expected a mapping at the top level (model_list, router_settings, ...)`);
  }
  const parsed = validateConfig(input ?? {});
  if (!parsed.ok) {
    // Messages may quote a value from the file: its control characters are escaped, so the error stays one line.
    const problems = parsed.issues.map((issue) => `${issue.path}: ${issue.message}`.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1)));
    // Every problem at once, up to a screenful: a file of garbage is not a page of errors.
    const shown = problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), `and ${problems.length - MAX_PROBLEMS} more`] : problems;
    throw new ConfigError(`${where}${shown.join('; ')}`);
  }
  const raw = parsed.config;
  const extra = raw.environment_variables ?? {};
  return {
    filepath,
    raw,
    modelList: raw.model_list ?? [],
    env: (name) => processEnv[name] ?? extra[name],
    providers: configProviderTable(raw.providers ?? []),
  };
}

/**
 * Where the search up stops: the repository root (the nearest `.git`) or the home directory, whichever comes first.
 * Neither above the working directory (a CI workspace, /tmp/x): only the working directory. Nor a directory others
 * may write (a planted /tmp/.git would open /tmp): only the working directory. A config may be JavaScript, and a
 * directory above these is not the user's to trust.
 */
export function searchStopDir(cwd: string, home = homedir()): string {
  const start = resolve(cwd);
  // the working directory comes as its real path (process.cwd()), $HOME may be a link to it
  const homes = new Set([resolve(home), realPath(home)]);
  for (let dir = start; ; dir = dirname(dir)) {
    if (homes.has(dir) || existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir || !ownDirectory(dirname(dir))) return start;
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Owned by this user or root and not writable by everyone (as git's safe.directory judges a repository's owner). */
function ownDirectory(dir: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  try {
    const info = statSync(dir);
    return (info.uid === uid || info.uid === 0) && (info.mode & 0o002) === 0;
  } catch {
    return true; // (nothing can be read from a directory that cannot be looked at)
  }
}

async function explorer(stopDir?: string) {
  const { cosmiconfig, defaultLoaders, getDefaultSearchPlaces } = cjsExports(await import('cosmiconfig'), 'cosmiconfig');
  // A JavaScript or TypeScript config that fails to load says which file it was, as a YAML or JSON one does.
  const naming = (loader: Loader): Loader => async (filepath, content) => {
    try {
      return await loader(filepath, content);
    } catch (error) {
      rethrow(error, filepath);
    }
  };
  const codeLoaders = Object.fromEntries((['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const).map((ext) => [ext, naming(defaultLoaders[ext])]));
  return cosmiconfig(MODULE, {
    searchStrategy: 'global',
    // An empty file is an empty config (PyYAML reads no document as None), found where it is: `models` then says it
    // lists no models, rather than that there is no config at all.
    ignoreEmptySearchPlaces: false,
    ...(stopDir ? { stopDir } : {}),
    searchPlaces: [
      `${MODULE}.config.yaml`,
      `${MODULE}.config.yml`,
      `${MODULE}.config.json`,
      ...getDefaultSearchPlaces(MODULE),
    ],
    loaders: { ...codeLoaders, '.yaml': loadYaml11, '.yml': loadYaml11, '.json': loadJsonConfig, noExt: loadYaml11 },
    cache: false,
  });
}

async function checkReadable(filepath: string, from: string): Promise<void> {
  let info;
  try {
    info = await stat(filepath);
  } catch {
    throw new ConfigError(`config file ${displayPath(filepath)} (from ${from}) does not exist`);
  }
  if (!info.isFile()) throw new ConfigError(`config file ${displayPath(filepath)} (from ${from}) is not a file`);
  if (info.size > MAX_CONFIG_BYTES) {
    throw new ConfigError(`config file ${displayPath(filepath)} is ${info.size} bytes; the limit is ${MAX_CONFIG_BYTES}`);
  }
}

/**
 * Finds and loads the config: `--config`, else `LLMPASS_CONFIG`, else cosmiconfig's search up from the working
 * directory to the repository root or home (`llmpass.config.yaml`, `.llmpassrc*`, `package.json#llmpass`...), then
 * the user's own config directory (`~/.config/llmpass`). No file found is an empty config.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = options.configPath ?? env.LLMPASS_CONFIG;
  const search = await explorer(named ? undefined : searchStopDir(cwd));
  if (named) {
    const filepath = resolve(cwd, named);
    await checkReadable(filepath, options.configPath ? '--config' : 'LLMPASS_CONFIG');
    const result = await search.load(filepath).catch((error: unknown) => rethrow(error, filepath));
    return configFromObject(result?.config, filepath, env);
  }
  const result = await search.search(cwd).catch((error: unknown) => rethrow(error));
  if (!result) return configFromObject({}, undefined, env);
  return configFromObject(result.config, result.filepath, env);
}

function rethrow(error: unknown, filepath?: string): never {
  if (error instanceof ConfigError) throw error;
  const message = (error as Error)?.message?.replace(/\n/g, ' ') ?? String(error);
  throw new ConfigError(filepath ? `${displayPath(filepath)}: ${message}` : message, { cause: error });
}
