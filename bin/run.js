#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Start-up is most of a one-shot call: keep compiled code across runs.
enableCompileCache?.();
const { run } = await import('../dist/cli/run.js');
await run(import.meta.url);
