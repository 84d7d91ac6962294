// Tab completion through the real scripts: `llmpass autocomplete bash` writes oclif's function plus our lines, and
// bash, completing `llmpass call <Tab>`, gets the aliases of the config here, then the endpoints of the alias's provider.
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, BIN, runCli, shellQuote } from '../support/cli.ts';
import { cleanupTemp, tempConfig, tempDir, writeFiles } from '../support/tmp.ts';

let home: string;
let project: string;
let env: NodeJS.ProcessEnv;
let functions: string;

const VLLM_ENDPOINTS = ['classify', 'score', 'rerank', 'pooling', 'tokenize', 'detokenize', 'v1/chat/completions', 'v1/completions', 'v1/embeddings', 'v1/audio/transcriptions', 'v1/models', 'health'];

/** What bash offers for `words` (the last is the word being completed), with the patched function sourced. */
function complete(words: string[], cwd = project): string[] {
  const script = `source ${shellQuote(join(functions, 'bash', 'llmpass.bash'))}
COMP_WORDS=(${words.map(shellQuote).join(' ')}); COMP_CWORD=${words.length - 1}
_llmpass_dynamic
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['-c', script], { cwd, env, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  assertBuilt();
  home = tempDir();
  // `llmpass` on the PATH, as npm link puts it.
  const bin = writeFiles(tempDir(), { llmpass: `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(BIN)} "$@"\n` });
  chmodSync(join(bin, 'llmpass'), 0o755);
  env = baseEnv({ HOME: home, XDG_CACHE_HOME: join(home, '.cache'), PATH: `${bin}:${process.env.PATH}` });
  project = tempConfig(`model_list:
  - model_name: lang
    litellm_params:
      model: hosted_vllm/papluca/xlm-roberta-base-language-detection
      api_base: http://127.0.0.1:9
  - model_name: lang
    litellm_params:
      model: hosted_vllm/papluca/xlm-roberta-base-language-detection
      api_base: http://127.0.0.1:10
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
  - model_name: "openai/*"
    litellm_params:
      model: "openai/*"
`, { 'other.yaml': 'model_list:\n  - model_name: elsewhere\n    litellm_params:\n      model: ollama/llama3.2\n' });
  for (const shell of ['bash', 'zsh', 'powershell']) {
    const result = await runCli({ args: ['autocomplete', shell], cwd: project, env });
    expect(result.code, result.stderr).toBe(0);
  }
  // A second run (a refresh) patches nothing twice.
  expect((await runCli({ args: ['autocomplete', 'bash'], cwd: project, env })).code).toBe(0);
  functions = join(home, '.cache', 'llmpass', 'autocomplete', 'functions');
});

afterAll(() => cleanupTemp());

describe('completion', () => {
  it('llmpass call <Tab>: the aliases of the config this directory loads (no wildcard routes)', () => {
    expect(complete(['llmpass', 'call', ''])).toEqual(['lang', 'claude']);
    expect(complete(['llmpass', 'call', 'cl'])).toEqual(['claude']);
  });

  it('llmpass call ALIAS <Tab>: the endpoints its provider is known for', () => {
    expect(complete(['llmpass', 'call', 'lang', ''])).toEqual(VLLM_ENDPOINTS);
    expect(complete(['llmpass', 'call', 'lang', 'v1/c'])).toEqual(['v1/chat/completions', 'v1/completions']);
    expect(complete(['llmpass', 'call', 'claude', ''])).toEqual(['v1/messages', 'v1/messages/count_tokens', 'v1/models']);
    expect(complete(['llmpass', 'call', 'hosted_vllm/some-model', 'cla'])).toEqual(['classify']);
  });

  it('flags and their values are skipped; --config names the config', () => {
    expect(complete(['llmpass', 'call', '-v', '-H', 'x: y', 'lang', 'sc'])).toEqual(['score']);
    expect(complete(['llmpass', 'call', '--config', 'other.yaml', ''])).toEqual(['elsewhere']);
    expect(complete(['llmpass', 'call', '--config=other.yaml', 'elsewhere', 'api/ch'])).toEqual(['api/chat']);
  });

  it('no config, or past ENDPOINT: nothing, and no error in the command line', () => {
    expect(complete(['llmpass', 'call', ''], tempDir())).toEqual([]);
    expect(complete(['llmpass', 'call', 'lang', 'classify', 'inp'])).toEqual([]);
  });

  it('commands and flags still come from the plugin', () => {
    expect(complete(['llmpass', 'call', '--ve'])).toContain('--verbose');
  });

  it('zsh and powershell functions ask llmpass __complete too, once', () => {
    const files = readdirSync(functions, { recursive: true }).map(String).filter((file) => /\.(bash|ps1)$|_llmpass$/.test(file));
    expect(files.sort()).toEqual(['bash/llmpass.bash', 'powershell/llmpass.ps1', 'zsh/_llmpass']);
    for (const file of files) {
      const text = readFileSync(join(functions, file), 'utf8');
      expect(text.split('llmpass __complete').length - 1, file).toBe(1);
    }
  });
});

