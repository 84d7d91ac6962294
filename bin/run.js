#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Start-up is most of a one-shot call: cache compiled code across runs.
enableCompileCache?.();
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
