// The config search never climbs above the repository root or the home directory: a config may be JavaScript, and a
// file planted above a CI workspace or /tmp/x would run with any command, `llmpass models` included.
import { chmodSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchStopDir } from '../../src/config/load.ts';
import { assertBuilt, baseEnv, runCli } from '../support/cli.ts';
import { cleanupTemp, tempDir, writeFiles } from '../support/tmp.ts';

afterAll(cleanupTemp);

const ENTRY = (alias: string) => `model_list:\n  - model_name: ${alias}\n    litellm_params: { model: hosted_vllm/m, api_base: "http://127.0.0.1:9" }\n`;

/** A config that leaves a mark when it is executed, in each JavaScript form cosmiconfig looks for. */
function planted(marker: string): Record<string, string> {
  const body = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default { model_list: [{ model_name: 'planted', litellm_params: { model: 'hosted_vllm/m' } }] };\n`;
  return { 'llmpass.config.mjs': body, '.llmpassrc.mjs': body, '.llmpassrc.js': body.replace(/^import .*$/m, "const { writeFileSync } = require('node:fs');").replace('export default', 'module.exports =') };
}

let root: string;

beforeAll(() => {
  assertBuilt();
  root = tempDir('llmpass-search-');
});

describe('where the search stops', () => {
  it('the nearest .git or the home directory, whichever comes first; else the working directory alone', () => {
    writeFiles(root, { 'home/repo/.git/HEAD': 'x', 'home/repo/a/b/.keep': '', 'ci/ws/.keep': '', 'worktree/.git': 'gitdir: /elsewhere\n' });
    expect(searchStopDir(join(root, 'home/repo/a/b'), join(root, 'home'))).toBe(join(root, 'home/repo'));
    expect(searchStopDir(join(root, 'home/x/y'), join(root, 'home'))).toBe(join(root, 'home'));
    expect(searchStopDir(join(root, 'ci/ws'), join(root, 'home'))).toBe(join(root, 'ci/ws'));
    // a worktree's .git is a file
    expect(searchStopDir(join(root, 'worktree'), join(root, 'home'))).toBe(join(root, 'worktree'));
  });

  it('`llmpass models` in a workspace outside $HOME runs no config planted above it', async () => {
    const dir = tempDir('llmpass-planted-');
    const marker = join(dir, 'ran');
    writeFiles(dir, { ...planted(marker), 'ci/workspace/README': 'no config here\n' });
    const result = await runCli({ args: ['models', '--json'], cwd: join(dir, 'ci/workspace'), env: baseEnv() });
    expect(existsSync(marker), 'the planted config was executed').toBe(false);
    expect(result.stdout.toString()).not.toContain('planted');
  });

  it('inside a repository below a planted directory: the repository\'s config is found, nothing above it runs', async () => {
    const dir = tempDir('llmpass-planted-');
    const marker = join(dir, 'ran');
    writeFiles(dir, { ...planted(marker), 'repo/.git/HEAD': 'ref: refs/heads/main\n', 'repo/llmpass.config.yaml': ENTRY('mine'), 'repo/src/deep/.keep': '' });
    const found = await runCli({ args: ['models', '--json'], cwd: join(dir, 'repo/src/deep'), env: baseEnv() });
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout.toString()).map((alias: { alias: string }) => alias.alias)).toEqual(['mine']);
    // a repository without a config of its own does not look past its root either
    writeFiles(dir, { 'bare/.git/HEAD': 'x', 'bare/sub/.keep': '' });
    await runCli({ args: ['models', '--json'], cwd: join(dir, 'bare/sub'), env: baseEnv() });
    expect(existsSync(marker), 'the planted config was executed').toBe(false);
  });

  it('under $HOME: up to the home directory, never above it', async () => {
    const dir = tempDir('llmpass-planted-');
    const marker = join(dir, 'ran');
    writeFiles(dir, { ...planted(marker), 'home/llmpass.config.yaml': ENTRY('homes'), 'home/projects/thing/.keep': '' });
    const result = await runCli({ args: ['models', '--json'], cwd: join(dir, 'home/projects/thing'), env: baseEnv({ HOME: join(dir, 'home') }) });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.toString()).map((alias: { alias: string }) => alias.alias)).toEqual(['homes']);
    expect(existsSync(marker)).toBe(false);
  });

  it('never into a directory others may write (a shared /tmp with a planted .git): the working directory alone', async () => {
    const dir = tempDir('llmpass-shared-');
    const marker = join(dir, 'ran');
    // /tmp's shape: world-writable and sticky, where anyone can plant a .git and a config beside it
    writeFiles(dir, { ...planted(marker), '.git/HEAD': 'x', 'ws/.keep': '', 'ws/sub/.keep': '' });
    chmodSync(dir, 0o1777);
    expect(searchStopDir(join(dir, 'ws/sub'), join(root, 'home'))).toBe(join(dir, 'ws/sub'));
    const result = await runCli({ args: ['models', '--json'], cwd: join(dir, 'ws'), env: baseEnv() });
    expect(existsSync(marker), 'the planted config was executed').toBe(false);
    expect(result.stdout.toString()).not.toContain('planted');
  });

  it('a home directory reached through a symlink is still where the search stops', async () => {
    const dir = tempDir('llmpass-linked-home-');
    writeFiles(dir, { 'real/llmpass.config.yaml': ENTRY('homes'), 'real/projects/thing/.keep': '' });
    symlinkSync(join(dir, 'real'), join(dir, 'home'));
    // the working directory is the real path (as process.cwd() gives it), $HOME the link
    expect(searchStopDir(join(dir, 'real/projects/thing'), join(dir, 'home'))).toBe(join(dir, 'real'));
    const result = await runCli({ args: ['models', '--json'], cwd: join(dir, 'home/projects/thing'), env: baseEnv({ HOME: join(dir, 'home') }) });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.toString()).map((alias: { alias: string }) => alias.alias)).toEqual(['homes']);
  });

  it('--config and LLMPASS_CONFIG still name any file', async () => {
    const dir = tempDir('llmpass-named-');
    writeFiles(dir, { 'elsewhere/conf.yaml': ENTRY('named'), 'ws/.keep': '' });
    for (const [args, env] of [[['--config', '../elsewhere/conf.yaml'], {}], [[], { LLMPASS_CONFIG: join(dir, 'elsewhere/conf.yaml') }]] as const) {
      const result = await runCli({ args: ['models', '--json', ...args], cwd: join(dir, 'ws'), env: baseEnv(env) });
      expect(JSON.parse(result.stdout.toString()).map((alias: { alias: string }) => alias.alias)).toEqual(['named']);
    }
  });
});
