#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Start-up is most of a one-shot call: keep compiled code across runs.
enableCompileCache?.();
if (process.argv[2] === '__complete') {
  // Tab completion (the scripts of `llmpass autocomplete` run it on each Tab): its own bundle, without oclif.
  const { printCompletions } = await import('../dist/cli/complete.js');
  await printCompletions(process.argv.slice(3), new URL('../', import.meta.url));
} else {
  const { run } = await import('../dist/cli/run.js');
  await run(import.meta.url);
}
