// Help a person can read: short usage, grouped flags, and examples that run as written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { assertBuilt, BIN, baseEnv, runCli, runShell, shellQuote } from '../support/cli.ts';
import { cleanupTemp, tempConfig, tempDir } from '../support/tmp.ts';

let vllm: FakeServer;
let project: string;

beforeAll(async () => {
  assertBuilt();
  vllm = await startVllmServer();
  project = tempConfig(
    `model_list:\n  - model_name: roberta-base-language-detection\n    litellm_params:\n      model: hosted_vllm/${DEFAULT_SERVED_MODEL}\n      api_base: ${vllm.url}/v1\n`,
    { 'inputs.jsonl': '{"input":"Hello"}\n{"input":"Bonjour"}\n' },
  );
});

afterAll(async () => {
  await vllm.close();
  cleanupTemp();
});

/** The `$ ...` lines of a help text's EXAMPLES, with oclif's ` \` line continuations joined back. */
function examples(help: string): string[] {
  const section = help.slice(help.indexOf('\nEXAMPLES\n'));
  return section.replace(/ \\\n\s+/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line.startsWith('$ ')).map((line) => line.slice(2));
}

describe('call --help', () => {
  it('opens with a short usage line, groups the flags, and stays short', async () => {
    const result = await runCli({ args: ['call', '--help'], cwd: tempDir() });
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).toContain('USAGE\n  $ llmpass call MODEL ENDPOINT [ITEM...] [FLAGS]\n');
    for (const group of ['BODY FLAGS', 'ROUTING FLAGS', 'OUTPUT FLAGS', 'BATCH FLAGS']) expect(text).toContain(`\n${group}\n`);
    // The request items' table is most of the rest: 93 lines of flags, help and examples before it was added.
    expect(text.split('\n').length).toBeLessThanOrEqual(105);
  });

  it('every example runs as written against a config with its alias, exit 0', async () => {
    const help = (await runCli({ args: ['call', '--help'], cwd: tempDir() })).stdout.toString();
    const lines = examples(help);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const llmpass = `${shellQuote(process.execPath)} ${shellQuote(BIN)}`;
    for (const line of lines) {
      expect(line).toMatch(/(^|\| )llmpass call /);
      const result = await runShell(`bash -o pipefail -c ${shellQuote(line.replaceAll('llmpass call', `${llmpass} call`))}`, project, baseEnv());
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
    }
  });
});

describe('llmpass --help', () => {
  it('has a description, and every example starts with $ and fits 80 columns', async () => {
    const result = await runCli({ args: ['--help'], cwd: tempDir() });
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).toMatch(/DESCRIPTION\n\n? {2}A model alias from your config/);
    const section = text.slice(text.indexOf('  EXAMPLES\n') + 11, text.indexOf('\n\n', text.indexOf('  EXAMPLES\n')));
    const lines = section.split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatch(/^ {2}\$ llmpass /);
  });
});
