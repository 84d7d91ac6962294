#!/usr/bin/env node
import module from 'node:module';

// An older Node fails on the bundle's syntax with a stack: one line instead (a split and two compares, no import).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`llmpass needs Node.js 22.19 or later (this is ${process.versions.node})\n`);
  process.exit(1);
}
// Start-up is most of a one-shot call: keep compiled code across runs.
module.enableCompileCache?.();

/**
 * Imports a bundle of dist/. A checkout that was never built (`npm ci && npm link`: the build is `prepack`'s, so
 * that installing the package runs no script) builds itself once, here; a published package always has dist/.
 */
async function load(path) {
  try {
    return await import(path);
  } catch (error) {
    const { existsSync } = await import('node:fs');
    const build = new URL('../scripts/build.mjs', import.meta.url);
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || existsSync(new URL(path, import.meta.url)) || !existsSync(build)) throw error;
    process.stderr.write('llmpass: building the CLI in this checkout (once)\n');
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    // The build's paths are the checkout's: run it there, not in the caller's working directory.
    execFileSync(process.execPath, [fileURLToPath(build)], { cwd: fileURLToPath(new URL('../', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit'] });
    return import(path);
  }
}

if (process.argv[2] === '__complete') {
  // Tab completion (the scripts of `llmpass autocomplete` run it on each Tab): its own bundle, without oclif.
  const { printCompletions } = await load('../dist/cli/complete.js');
  await printCompletions(process.argv.slice(3), new URL('../', import.meta.url));
} else {
  const { run } = await load('../dist/cli/run.js');
  await run(import.meta.url);
}
