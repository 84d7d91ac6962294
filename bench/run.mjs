// `npm run bench` (builds first): every benchmark module, one after the other, on this machine and this Node,
// against the repo's vLLM-compatible server. `node bench/run.mjs [module...]` runs only the named ones.
// Env: BENCH_RUNS (default 30), BENCH_WARMUP (default 5), BENCH_TIMER=node (skip hyperfine even if installed);
// BENCH_QUICK=1 for shorter proxy and batch modules (see bench/proxy.mjs and bench/batch.mjs for their own settings).
//
// A benchmark module exports `title` and `run({ fixture, timer, node, log })`, which prints its own report and
// resolves with { ok } (false: a result cannot be trusted; the bench exits 1). Add new ones to MODULES.
import { existsSync } from 'node:fs';
import nodeModule from 'node:module';
import { arch, platform } from 'node:os';

const MODULES = {
  startup: () => import('./startup.mjs'),
  completion: () => import('./completion.mjs'),
  proxy: () => import('./proxy.mjs'),
  json: () => import('./json-body.mjs'),
  router: () => import('./router.mjs'),
  redis: () => import('./redis.mjs'),
  batch: () => import('./batch.mjs'),
  'request-log': () => import('./request-log.mjs'),
  'call-log': () => import('./call-log.mjs'),
  telemetry: () => import('./telemetry.mjs'),
  keys: () => import('./keys.mjs'),
};

function checkRuntime() {
  if (!process.features.typescript || typeof nodeModule.registerHooks !== 'function') {
    throw new Error(`Node ${process.version} cannot run the bench (needs type stripping and module.registerHooks): use \`npm run bench\`, which puts the repo's Node 24 first on PATH`);
  }
  if (!existsSync(new URL('../dist/cli/run.js', import.meta.url))) throw new Error('dist/ is missing: `npm run build` first (or `npm run bench`)');
}

async function main() {
  checkRuntime();
  const names = process.argv.slice(2);
  for (const name of names) if (!MODULES[name]) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(MODULES).join(', ')}`);
  const selected = names.length ? names : Object.keys(MODULES);

  const { createTimer } = await import('./lib/timer.mjs');
  const { startFixture } = await import('./lib/fixture.mjs');
  const started = performance.now();
  const timer = createTimer();
  const fixture = await startFixture();
  const stop = () => { void fixture.close().finally(() => process.exit(130)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  let ok = true;
  try {
    console.log(`llmpass bench: Node ${process.version} (${platform()} ${arch()}, ${process.execPath}), ${new Date().toISOString()}`);
    console.log(`timer: ${timer.label}`);
    console.log(`server: vLLM-compatible fixture at ${fixture.url}, in process`);
    for (const name of selected) {
      const mod = await MODULES[name]();
      console.log(`\n== ${name}: ${mod.title}`);
      const result = await mod.run({ fixture, timer, node: process.execPath, log: console.log });
      ok &&= result?.ok !== false;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await fixture.close();
  }
  console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (!ok) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
});
