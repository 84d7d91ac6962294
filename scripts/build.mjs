// Two bundles. The library (dist/index.js) keeps its dependencies external, as a library should. The CLI
// (dist/cli/) bundles oclif and everything else it uses, code-split so each command and each output mode loads
// only its own chunk: resolving packages and parsing many small files is most of a cold start.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'lib/[name]-[hash]',
  packages: 'external',
});

await build({
  ...common,
  entryPoints: { run: 'src/cli/run.ts', commands: 'src/cli/commands.ts' },
  outdir: 'dist/cli',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // oclif's plugins load their own copy of @oclif/core; TypeScript loaders are for oclif's dev mode only.
  external: ['@oclif/plugin-*', 'typescript', 'ts-node', 'tsx'],
  // Bundled CommonJS packages still call require() for Node built-ins.
  banner: { js: "import { createRequire as __llmpassRequire } from 'node:module'; const require = __llmpassRequire(import.meta.url);" },
});
