import type { Interfaces } from '@oclif/core';
import type Init from '../../commands/init.ts';
import { writeFile, access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AbortedError, UsageError } from '../../errors.ts';
import { displayPath } from '../../config/display-path.ts';
import { discoverModels, type Discovered } from './discover-models.ts';
import { aliasesFor, renderInitConfig } from './init-config.ts';
import { EXIT } from '../exit-codes.ts';
import { parseSeconds } from '../seconds.ts';

/** The `init` command's flags as oclif parses them, typed from its definitions. */
export type InitFlags = Interfaces.InferredFlags<typeof Init.flags>;

export const DEFAULT_CONFIG_FILE = 'llmpass.config.yaml';
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Ask = (question: string) => Promise<string>;

/** Questions on stderr, answers from stdin: only when both are a terminal. */
async function terminalQuestions(): Promise<{ ask: Ask; close(): void } | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const ask: Ask = async (question) => {
    try {
      return (await rl.question(question)).trim();
    } catch (error) {
      // readline rejects a pending question on Ctrl-C or Ctrl-D: an interruption (130), not an internal failure (1).
      if ((error as { code?: string }).code === 'ABORT_ERR') throw new AbortedError('interrupted; nothing was written');
      throw error;
    }
  };
  return { ask, close: () => rl.close() };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

function checkVariable(name: string | undefined): string | undefined {
  if (name === undefined || name === '') return undefined;
  if (!VARIABLE.test(name)) throw new UsageError(`--api-key-env "${name}": expected the name of an environment variable, e.g. VLLM_API_KEY (never the key itself)`);
  return name;
}

/**
 * `llmpass init`: asks the server at --api-base what it serves and writes a config with one alias per model. On a
 * terminal, missing answers are asked for and the file is shown before it is written; an existing file is never
 * replaced without --force.
 */
export async function runInit(flags: InitFlags): Promise<number> {
  const target = resolve(flags.config ?? DEFAULT_CONFIG_FILE);
  if (!flags.print && !flags.force && (await exists(target))) {
    throw new UsageError(`${displayPath(target)} exists: --force replaces it, --print shows the new one on stdout`);
  }
  const timeout = parseSeconds(flags.timeout, '--timeout');
  const terminal = await terminalQuestions();
  try {
    let apiBase = flags['api-base'];
    let apiKeyEnv = checkVariable(flags['api-key-env']);
    if (apiBase === undefined) {
      if (!terminal) throw new UsageError('init needs --api-base URL: the server to ask what it serves (e.g. --api-base http://localhost:8000)');
      apiBase = (await terminal.ask('Server URL (api_base) [http://localhost:8000]: ')) || 'http://localhost:8000';
      if (flags['api-key-env'] === undefined) apiKeyEnv = checkVariable(await terminal.ask('Environment variable that holds its key (Enter for none): '));
    }
    const apiKey = apiKeyEnv ? process.env[apiKeyEnv] : undefined;
    let found: Discovered;
    try {
      found = await discoverModels({ apiBase, provider: flags.provider, apiKey, timeout });
    } catch (error) {
      if (!terminal || flags.provider !== undefined || !(error instanceof UsageError) || !/cannot tell which server/.test(error.message)) throw error;
      const provider = await terminal.ask(`${error.message.replace(/: name it with.*$/, '')}.\nProvider (hosted_vllm, openai, ollama, ...; see llmpass providers): `);
      found = await discoverModels({ apiBase, provider, apiKey, timeout });
    }
    if (found.models.length === 0) throw new UsageError(`${apiBase} (${found.provider.label}) lists no models: start it with a model, then run init again`);

    const text = renderInitConfig({ provider: found.provider, apiBase, models: found.models, apiKeyEnv });
    if (flags.print) {
      process.stdout.write(text);
      return EXIT.ok;
    }
    if (terminal && !flags.yes) {
      process.stderr.write(`\n${text}\n`);
      const answer = await terminal.ask(`Write this to ${displayPath(target)}? [Y/n] `);
      if (/^n/i.test(answer)) {
        process.stderr.write('nothing written\n');
        return EXIT.other;
      }
    }
    try {
      await writeFile(target, text, { flag: flags.force ? 'w' : 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`${displayPath(target)}: ${code === 'EEXIST' ? 'exists: --force replaces it' : `cannot write (${code ?? (error as Error).message})`}`);
    }
    const aliases = aliasesFor(found.models);
    const endpoints = found.provider.endpoints?.length ? `; ${found.provider.label} serves ${found.provider.endpoints.join(', ')}` : '';
    process.stderr.write(`wrote ${displayPath(target)}: ${aliases.join(', ')} (${found.provider.label} at ${apiBase})\nnext: llmpass call ${aliases[0]} ENDPOINT key=value ...${endpoints}\n`);
    return EXIT.ok;
  } finally {
    terminal?.close();
  }
}
