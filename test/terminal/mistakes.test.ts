// Start-up and a user's mistakes: one clear line and exit 2, never another command run, never a Node stack.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, BIN, runCli, stackLines } from '../support/cli.ts';
import { tempConfig, tempDir } from '../support/tmp.ts';

assertBuilt();

/** The system's Node when it is older than llmpass supports (the machine's /usr/bin/node is 20). */
const OLD_NODE = ['/usr/bin/node', '/bin/node'].find((node) => {
  const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim();
  if (!version) return false;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < 22 || (major === 22 && minor < 19);
});

describe('start-up', () => {
  it.skipIf(!OLD_NODE)('an older Node gets one line naming the version needed, exit 1, no stack', () => {
    const result = spawnSync(OLD_NODE!, [BIN, 'call', 'x', 'y'], { encoding: 'utf8', env: baseEnv() });
    const version = spawnSync(OLD_NODE!, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`llmpass needs Node.js 22.19 or later (this is ${version})\n`);
  });
});

describe('mistakes', () => {
  it('a mistyped command suggests the closest one and runs nothing (piped and on a terminal)', async () => {
    for (const tty of [false, true]) {
      const result = await runCli({ args: ['cal', 'roberta-base-language-detection', 'classify', '--json', '{"input":"hi"}'], cwd: tempDir(), tty });
      const text = tty ? result.stdout.toString() : result.stderr;
      expect(result.code, text).toBe(2);
      expect(text.trim()).toBe('llmpass: "cal" is not a llmpass command; did you mean "llmpass call"? (see llmpass --help)');
      if (!tty) expect(result.stdout.toString()).toBe('');
    }
  });

  it('a word near no command is named without a guess', async () => {
    const result = await runCli({ args: ['zzzzzz'], cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('llmpass: "zzzzzz" is not a llmpass command (see llmpass --help)\n');
  });

  it('a mistyped subcommand suggests the closest one; a word a command does not take is named; nothing runs', async () => {
    const cases: Array<[string[], string]> = [
      [['logs', 'stat'], 'llmpass: "logs stat" is not a llmpass command; did you mean "llmpass logs stats"? (see llmpass logs --help)'],
      [['keys', 'lst'], 'llmpass: "keys lst" is not a llmpass command; did you mean "llmpass keys list"? (see llmpass keys --help)'],
      [['providers', 'extra'], 'llmpass: unexpected argument "extra": llmpass providers takes none (see llmpass providers --help)'],
      [['proxy', '8080'], 'llmpass: unexpected argument "8080": llmpass proxy takes none (see llmpass proxy --help)'],
    ];
    for (const [args, said] of cases) {
      const result = await runCli({ args, cwd: tempDir() });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toBe(`${said}\n`);
      expect(result.stdout.toString()).toBe('');
    }
  });

  it('-h is help everywhere', async () => {
    for (const args of [['-h'], ['call', '-h'], ['models', '-h'], ['providers', '-h'], ['proxy', '-h']]) {
      const result = await runCli({ args, cwd: tempDir() });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stdout.toString()).toContain('USAGE');
    }
  });

  it('a call missing its arguments names them and shows the usage line', async () => {
    const none = await runCli({ args: ['call'], cwd: tempDir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('llmpass: missing MODEL and ENDPOINT: llmpass call MODEL ENDPOINT [FLAGS]\n');
    const one = await runCli({ args: ['call', 'gpt'], cwd: tempDir() });
    expect(one.code).toBe(2);
    expect(one.stderr).toBe('llmpass: missing ENDPOINT: llmpass call MODEL ENDPOINT [FLAGS]\n');
    expect(stackLines(one.stderr)).toEqual([]);
  });

  it('a subcommand missing its argument shows the usage line as typed, with a space', async () => {
    const result = await runCli({ args: ['logs', 'show'], cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('llmpass: missing ID: llmpass logs show ID [FLAGS]\n');
  });
});

describe('config messages speak the user\'s language', () => {
  it('a count that is not a number, and a model that is not a string', async () => {
    const dir = tempConfig(`model_list:
  - model_name: a
    litellm_params:
      model: hosted_vllm/x
      tpm: lots
      rpm: -3
  - model_name: b
    litellm_params:
      model: 42
general_settings:
  log_fold_every: 2.5
`);
    const result = await runCli({ args: ['models'], cwd: dir });
    expect(result.code).toBe(2);
    const line = result.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('model_list[0].litellm_params.tpm: expected a number or os.environ/VAR ("lots")');
    expect(line).toContain('model_list[0].litellm_params.rpm: expected a number, 0 or more (-3)');
    expect(line).toContain('model_list[1].litellm_params.model: must be a string, the provider-qualified model (42)');
    expect(line).toContain('general_settings.log_fold_every: expected a whole number, 0 or more (2.5)');
    expect(line).not.toMatch(/\/\^|required/);
  });
});
