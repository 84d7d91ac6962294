// A fresh checkout's first run, as `npm ci && npm link` leaves it: the CLI builds itself (esbuild, tsc and the oclif
// manifest, a whole build), then answers. In the heavy tier (test/tiers.ts): one full build is most of a core for 20 s.
import { spawnSync } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, ROOT } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

afterAll(() => cleanupTemp());

describe('the first run', () => {
  it('a checkout that was never built builds itself on its first run, from any working directory', () => {
    // `npm ci && npm link`, then `llmpass ...` from the user's own project: the build ran in that directory.
    const checkout = tempDir();
    for (const path of ['bin', 'scripts', 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, path), join(checkout, path), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    const elsewhere = tempDir();
    const first = spawnSync(process.execPath, [join(checkout, 'bin', 'run.js'), '--version'], { cwd: elsewhere, env: baseEnv(), encoding: 'utf8', timeout: 240_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('building the CLI in this checkout (once)');
    expect(first.stdout).toMatch(/^llmpass\//);
  }, 300_000);
});
