// The root help and the version come from oclif's last rendering, kept beside Node's compile cache: the same bytes
// as oclif writes, rendered again when what they depend on changes, and never taken from a file anyone else may write.
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, runCli } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

let cache: string;
const env = (extra: Record<string, string> = {}) => baseEnv({ NODE_COMPILE_CACHE: cache, ...extra });
/** The kept texts: Node puts its cache (and ours) in a subdirectory per Node version. */
const kept = (): string[] => readdirSync(cache, { recursive: true, encoding: 'utf8' }).filter((name) => name.includes('llmpass-help-')).map((name) => join(cache, name));

beforeAll(() => {
  assertBuilt();
  cache = tempDir();
});
afterAll(() => cleanupTemp());

describe('root help and version', () => {
  it('prints the same bytes from the kept text as oclif rendered, for --help and --version alike', async () => {
    const cwd = tempDir();
    for (const args of [['--help'], ['--version']]) {
      const first = await runCli({ args, cwd, env: env() });
      const second = await runCli({ args, cwd, env: env() });
      expect(first.code).toBe(0);
      expect(second.code).toBe(0);
      expect(second.stdout.toString()).toBe(first.stdout.toString());
    }
    expect(kept()).toHaveLength(2);
    expect((await runCli({ args: ['--help'], cwd, env: env() })).stdout.toString()).toContain('\nCOMMANDS\n');
  });

  it('uses the kept text, renders again for another width, and ignores a file others may write', async () => {
    const cwd = tempDir();
    await runCli({ args: ['-h'], cwd, env: env() });
    // Each kept file made to name itself: the next -h prints its own.
    for (const name of kept()) writeFileSync(name, `kept ${name}\n`, { mode: 0o600 });
    const again = (await runCli({ args: ['-h'], cwd, env: env() })).stdout.toString();
    expect(again).toMatch(/^kept /);
    const wider = (await runCli({ args: ['-h'], cwd, env: env({ COLUMNS: '200' }) })).stdout.toString();
    expect(wider).toContain('\nCOMMANDS\n');
    const mine = again.slice('kept '.length).trim();
    chmodSync(mine, 0o666);
    const shared = (await runCli({ args: ['-h'], cwd, env: env() })).stdout.toString();
    expect(shared).toContain('\nCOMMANDS\n');
  });
});
