// A fresh checkout's first run, as `npm ci && npm link` leaves it: the CLI builds itself (esbuild, tsc and the oclif
// manifest, a whole build), then answers; and `npm run build` skips tsc while its inputs are unchanged. In the heavy
// tier (test/tiers.ts): one full build is most of a core for 20 s, and this file makes three.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, ROOT } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

afterAll(() => cleanupTemp());

/** A checkout as `npm ci` leaves it: the sources, no dist/, the installed dependencies. */
function freshCheckout(): string {
  const checkout = tempDir();
  for (const path of ['bin', 'scripts', 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, path), join(checkout, path), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
  return checkout;
}

describe('the first run', () => {
  it('a checkout that was never built builds itself on its first run, from any working directory', () => {
    // `npm ci && npm link`, then `llmpass ...` from the user's own project: the build ran in that directory.
    const checkout = freshCheckout();
    const elsewhere = tempDir();
    const first = spawnSync(process.execPath, [join(checkout, 'bin', 'run.js'), '--version'], { cwd: elsewhere, env: baseEnv(), encoding: 'utf8', timeout: 240_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('building the CLI in this checkout (once)');
    expect(first.stdout).toMatch(/^llmpass\//);
  }, 300_000);
});

describe('npm run build (--reuse-types)', () => {
  it('keeps the type declarations while nothing they are made from changed, and writes them afresh after a change', () => {
    const checkout = freshCheckout();
    const build = () => {
      const result = spawnSync(process.execPath, [join(checkout, 'scripts', 'build.mjs'), '--reuse-types'], { cwd: checkout, env: baseEnv(), encoding: 'utf8', timeout: 240_000 });
      expect(result.status, result.stderr).toBe(0);
    };
    const planted = join(checkout, 'dist', 'types', 'planted.d.ts');
    build();
    writeFileSync(planted, 'export {};\n');
    build();
    expect(existsSync(planted), 'kept').toBe(true);
    expect(existsSync(join(checkout, 'dist', 'cli', 'run.js'))).toBe(true);
    appendFileSync(join(checkout, 'src', 'errors.ts'), '\n// changed\n');
    build();
    expect(existsSync(planted), 'written afresh').toBe(false);
    expect(existsSync(join(checkout, 'dist', 'types', 'errors.d.ts'))).toBe(true);
  }, 600_000);
});
