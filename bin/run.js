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
const { run } = await import('../dist/cli/run.js');
await run(import.meta.url);
