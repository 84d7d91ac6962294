// `models` and `providers` tables fit the terminal: cells cut with … or rows stacked; piped, nothing is cut.
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, runCli } from '../support/cli.ts';
import { tempConfig, tempDir } from '../support/tmp.ts';

assertBuilt();

const lines = (text: string) => stripVTControlCharacters(text).trimEnd().split('\n');
const longest = (text: string) => Math.max(...lines(text).map((line) => line.length));

const project = () =>
  tempConfig(`model_list:
  - model_name: a-rather-long-alias-for-a-chat-model
    litellm_params:
      model: hosted_vllm/meta-llama/Llama-3.3-70B-Instruct-with-a-long-name
      api_base: http://inference.internal.example.com:8000/v1/some/gateway/path
`);

describe('tables on a terminal', () => {
  for (const command of ['providers', 'models']) {
    it(`${command}: no line is wider than an 80-column terminal; piped, the full table`, async () => {
      const cwd = command === 'models' ? project() : tempDir();
      const tty = await runCli({ args: [command], cwd, tty: true, columns: 80, env: baseEnv({ NO_COLOR: '1' }) });
      expect(tty.code).toBe(0);
      expect(longest(tty.stdout.toString())).toBeLessThanOrEqual(80);
      if (command === 'providers') expect(tty.stdout.toString()).toContain('…');
      const piped = await runCli({ args: [command], cwd });
      expect(piped.code).toBe(0);
      expect(longest(piped.stdout.toString())).toBeGreaterThan(80);
      expect(piped.stdout.toString()).not.toContain('…');
    });

    it(`${command}: a terminal too narrow for the columns gets each row stacked`, async () => {
      const cwd = command === 'models' ? project() : tempDir();
      const tty = await runCli({ args: [command], cwd, tty: true, columns: 40, env: baseEnv({ NO_COLOR: '1' }) });
      expect(tty.code).toBe(0);
      expect(longest(tty.stdout.toString())).toBeLessThanOrEqual(40);
      expect(tty.stdout.toString()).toMatch(command === 'models' ? /^alias +a-rather-long-alias/m : /^id +hosted_vllm$/m);
    });
  }
});

describe('models: why an alias cannot be used', () => {
  it('its reason is never cut: a table that cannot hold it whole is stacked, the reason wrapped', async () => {
    const cwd = tempConfig(`model_list:
  - model_name: a-rather-long-alias-for-a-chat-model
    litellm_params:
      model: openai/gpt-4o-mini-with-a-long-deployment-name
      api_key: os.environ/LLMPASS_TEST_NEVER_SET_KEY
`);
    for (const columns of [80, 110]) {
      const tty = await runCli({ args: ['models'], cwd, tty: true, columns, env: baseEnv({ NO_COLOR: '1' }) });
      expect(tty.code).toBe(0);
      const text = stripVTControlCharacters(tty.stdout.toString());
      expect(longest(text)).toBeLessThanOrEqual(columns);
      // stacked, the reason wrapped at its words rather than cut
      expect(text.replace(/\s+/g, ' ')).toContain('environment variable LLMPASS_TEST_NEVER_SET_KEY is not set: alias "a-rather-long-alias-for-a-chat-model" needs it for model_list[0].litellm_params.api_key');
    }
  });
});

describe('models --check on a terminal', () => {
  it('its table fits 80 columns, and a failure\'s reason is still there in full', async () => {
    const cwd = tempConfig(`model_list:
  - model_name: a-rather-long-alias-for-a-chat-model
    litellm_params:
      model: hosted_vllm/meta-llama/Llama-3.3-70B-Instruct
      api_base: http://127.0.0.1:9/v1/some/gateway/path/that/is/long
`);
    const tty = await runCli({ args: ['models', '--check'], cwd, tty: true, columns: 80, env: baseEnv({ NO_COLOR: '1' }) });
    expect(tty.code).toBe(1);
    const text = stripVTControlCharacters(tty.stdout.toString());
    const table = text.slice(text.indexOf('ALIAS'), text.indexOf('\n\n', text.indexOf('ALIAS')));
    expect(longest(table), table).toBeLessThanOrEqual(80);
    expect(text.replace(/\s+/g, ' ')).toContain('connection refused; is the server running and is the api base right?');
  });
});
