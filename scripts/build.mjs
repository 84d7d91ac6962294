// Two bundles. The library (dist/index.js) keeps its dependencies external, as a library should. The CLI
// (dist/cli/) bundles oclif and everything else it uses, code-split so each command and each output mode loads
// only its own chunk: resolving packages and parsing many small files is most of a cold start.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const typesDir = new URL('types/', dist);

// The type declarations are most of a build (tsc: ~11 of ~13 CPU-s). With --reuse-types (`npm run build`, so
// `npm test`) they are kept when nothing they are made from changed: the sources, the tsconfigs, the locked
// dependencies and this script, hashed into a stamp beside them. `npm pack` (prepack) always writes them afresh.
const TYPES_STAMP = '.inputs-sha256';
async function typeInputs() {
  const sources = (await readdir(new URL('../src/', import.meta.url), { recursive: true })).filter((file) => file.endsWith('.ts'));
  const files = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build.mjs', ...sources.sort().map((file) => `src/${file}`)];
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(await readFile(new URL(`../${file}`, import.meta.url)).catch(() => '')).update('\0');
  return hash.digest('hex');
}
const reuseTypes = process.argv.includes('--reuse-types');
const inputs = reuseTypes ? await typeInputs() : undefined;
const keepTypes = inputs !== undefined && (await readFile(new URL(TYPES_STAMP, typesDir), 'utf8').catch(() => '')) === inputs;
if (keepTypes) {
  for (const entry of await readdir(dist)) if (entry !== 'types') await rm(new URL(entry, dist), { recursive: true, force: true });
} else {
  await rm(dist, { recursive: true, force: true });
}

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Source maps beside the bundles, named by no comment in them, and left out of the package (package.json's
  // `files`): they were 7.4 of the tarball's 12.5 MB, and nothing runs with --enable-source-maps. In a checkout
  // they tell the benches' module probe which packages each chunk bundles.
  sourcemap: 'external',
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

// prom-client requires @opentelemetry/api at load for CPU exemplars, which llmpass never turns on: it gets a stand-in,
// so the CLI loads OpenTelemetry only when telemetry is on (src/telemetry/).
const promClientWithoutOtel = {
  name: 'prom-client-without-otel',
  setup(context) {
    const stub = fileURLToPath(new URL('./prom-client-otel-stub.mjs', import.meta.url));
    context.onResolve({ filter: /^@opentelemetry\/api$/ }, (args) => (/[\\/]prom-client[\\/]/.test(args.importer) ? { path: stub } : undefined));
  },
};

// OpenTelemetry's packages from their ES module builds. With platform 'node' esbuild takes a package's `main` (its
// CommonJS build) unless an exports map says otherwise, and wraps it: every use of an import (isTracingSuppressed,
// SamplingDecision, the W3C propagator's own calls into the API) then reads through a getter, on each traced
// request. The ES builds are the same code with plain bindings. Packages with an exports map already resolve to it.
const openTelemetryAsEsm = {
  name: 'opentelemetry-as-esm',
  setup(context) {
    const require = createRequire(import.meta.url);
    context.onResolve({ filter: /^@opentelemetry\/[^/]+$/ }, async (args) => {
      let manifest;
      try {
        manifest = require.resolve(`${args.path}/package.json`, { paths: [args.resolveDir] });
      } catch {
        return undefined; // an exports map that hides package.json: esbuild resolves it by that map
      }
      const pkg = JSON.parse(await readFile(manifest, 'utf8'));
      return pkg.exports || typeof pkg.module !== 'string' ? undefined : { path: fileURLToPath(new URL(pkg.module, pathToFileURL(manifest))) };
    });
  },
};

// node:http through require(), not as an ES module: the ES module's namespace reads every export, among them the
// getters that load Node's own undici (for WebSocket and the like), which llmpass never uses: ~50 ms of CPU per
// process that imports node:http (the proxy, a call), against ~5 ms required (measured on Node 24). The bundle's
// banner gives each chunk a `require`.
const httpViaRequire = {
  name: 'http-via-require',
  setup(context) {
    context.onResolve({ filter: /^(node:)?http$/ }, (args) => (args.namespace === 'http-via-require' ? undefined : { path: 'node:http', namespace: 'http-via-require' }));
    // Named exports too (`const { request } = await import('http')` in OpenTelemetry's exporter), all but the
    // three WebSocket getters, read here once.
    context.onLoad({ filter: /.*/, namespace: 'http-via-require' }, () => ({
      contents: `const http = require('node:http');
export const { METHODS, STATUS_CODES, Agent, ClientRequest, IncomingMessage, OutgoingMessage, Server, ServerResponse, createServer, validateHeaderName, validateHeaderValue, get, request, setMaxIdleHTTPParsers, maxHeaderSize, globalAgent } = http;
export default http;`,
      loader: 'js',
    }));
  },
};

// Two lines of oclif rewritten for start-up (each a few % of `llmpass --help`, measured), same output:
// - help renders every text it prints (each summary, each description) as an EJS template, and EJS compiles each
//   into a function: a text with no `<%` renders as itself, so it skips EJS;
// - a plugin's commands are sorted with localeCompare, whose first use builds ICU's collator (~10 ms of CPU): the
//   ids are lower-case ASCII words and colons, which code-unit order sorts the same way.
const OCLIF_PATCHES = [
  {
    file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]help[\\/]util\.js$/,
    from: 'return ejs_1.default.render(t, context);',
    to: "return t.includes('<%') ? ejs_1.default.render(t, context) : t;",
  },
  {
    file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
    from: '.sort((a, b) => a.id.localeCompare(b.id));',
    to: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));',
  },
];
const oclifStartupPatches = {
  name: 'oclif-startup-patches',
  setup(context) {
    for (const { file, from, to } of OCLIF_PATCHES) {
      context.onLoad({ filter: file }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (source.includes(from)) return { contents: source.replace(from, to), loader: 'js' };
        console.warn(`build: ${args.path} no longer has the line the build rewrites (${from}); left as it is`);
        return undefined;
      });
    }
  },
};

// A one-shot call's log (row builder, pending rows) as one module: bundled first on its own, then taken into the
// CLI's build as a single input, so it loads as one chunk instead of six. Resolving and linking each chunk is most
// of what the log adds to `llmpass call` (a third of its CPU, measured with --cpu-prof). What it copies (error
// classes, the row's helpers) is private to it; what must be one instance, or loads only now and then, stays
// outside and is resolved by the CLI's build from the source folder: the price table (loaded once per process) and
// the stores (a fold every 64th call, or a PostgreSQL log).
const ONE_SHOT = fileURLToPath(new URL('../src/accounting/log/one-shot.ts', import.meta.url));
const oneShotAsOneModule = {
  name: 'one-shot-as-one-module',
  setup(context) {
    context.onLoad({ filter: /[\\/]accounting[\\/]log[\\/]one-shot\.ts$/ }, async (args) => {
      if (args.path !== ONE_SHOT) return undefined;
      const bundled = await build({
        ...common,
        entryPoints: [ONE_SHOT],
        write: false,
        sourcemap: false,
        external: ['./postgres-store.ts', './sqlite-store.ts', '@pydantic/genai-prices'],
      });
      return { contents: bundled.outputFiles[0].text, loader: 'js', resolveDir: dirname(ONE_SHOT) };
    });
  },
};

await build({
  ...common,
  entryPoints: { run: 'src/cli/run.ts', commands: 'src/cli/commands.ts', complete: 'src/cli/complete.ts' },
  plugins: [promClientWithoutOtel, openTelemetryAsEsm, oclifStartupPatches, httpViaRequire, oneShotAsOneModule],
  outdir: 'dist/cli',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // oclif's plugins load their own copy of @oclif/core; TypeScript loaders are for oclif's dev mode only. The
  // AWS and Google libraries are imported lazily, only to sign a Bedrock or Vertex request: from node_modules then.
  external: ['@oclif/plugin-*', 'typescript', 'ts-node', 'tsx', '@aws-sdk/*', '@smithy/*', 'google-auth-library'],
  // Bundled CommonJS packages still call require() for Node built-ins.
  banner: { js: "import { createRequire as __llmpassRequire } from 'node:module'; const require = __llmpassRequire(import.meta.url);" },
});

// Type declarations for the library (dist/types), from the same sources. Type errors are `npm run typecheck`'s
// job (CI runs it); declarations are still written so that a build never blocks a test run.
if (!keepTypes) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.warn('build: type errors (run npm run typecheck); declarations written anyway');
  }
  // tsc keeps `.ts` in declaration imports; consumers resolve the emitted `.js` / `.d.ts` pairs.
  for (const file of await readdir(typesDir, { recursive: true })) {
    if (!file.endsWith('.d.ts')) continue;
    const path = new URL(file, typesDir);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/(from\s+'|import\(')(\.{1,2}\/[^']+)\.ts'/g, "$1$2.js'"));
  }
  if (inputs !== undefined) await writeFile(new URL(TYPES_STAMP, typesDir), inputs);
}

// `call`'s flags as a table for the CLI's oclif-free call path (src/cli/call/fast-call.ts), from the command's own
// definitions: importing oclif is a third of a one-shot call's CPU.
const { COMMANDS, flagTable } = await import('../dist/cli/commands.js');
await writeFile(new URL('../dist/cli/call-flags.json', import.meta.url), JSON.stringify(await flagTable(COMMANDS.call.flags)));

// oclif's manifest: with it, start-up reads one JSON file instead of importing the command table to learn the
// commands and flags (measured here: --version 92 -> 76 ms, a one-shot call 140 -> 123 ms).
const oclifBin = createRequire(import.meta.url).resolve('oclif/bin/run.js');
execFileSync(process.execPath, [oclifBin, 'manifest'], { stdio: ['ignore', 'ignore', 'inherit'] });
