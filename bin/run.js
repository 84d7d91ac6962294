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
if (process.argv[2] === '__complete') {
  // Tab completion (the scripts of `llmpass autocomplete` run it on each Tab): its own bundle, without oclif.
  const { printCompletions } = await import('../dist/cli/complete.js');
  await printCompletions(process.argv.slice(3), new URL('../', import.meta.url));
} else {
  const { run } = await import('../dist/cli/run.js');
  await run(import.meta.url);
}
