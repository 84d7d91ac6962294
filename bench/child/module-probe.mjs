// Preload for `node --import ./bench/child/module-probe.mjs ...`: records every module the process resolves
// (import and require alike, through Node's synchronous `module.registerHooks`) and, at exit, writes a JSON report
// to the file named by BENCH_PROBE_OUT. Node's own builtins (its internal copy of undici behind global fetch
// included) never reach resolve hooks, so an `undici` hit here means the npm package.
//
// The CLI is bundled by esbuild, so a package can also arrive inside a dist chunk without ever being resolved: for
// each loaded file with a linked source map next to it, the npm packages listed in the map's `sources` count too.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const out = process.env.BENCH_PROBE_OUT;
const resolved = new Set();
const specifiers = new Set();

registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    if (!specifier.startsWith('node:')) specifiers.add(specifier);
    if (result.url.startsWith('file:')) resolved.add(result.url);
    return result;
  },
});

/** `…/node_modules/@scope/name/…` or `…/node_modules/name/…` → the package name (the innermost node_modules). */
function packageOf(path) {
  const parts = path.split(/[\\/]/);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0 || i + 1 >= parts.length) return undefined;
  const first = parts[i + 1];
  return first.startsWith('@') && i + 2 < parts.length ? `${first}/${parts[i + 2]}` : first;
}

function bundledPackages(file) {
  const map = `${file}.map`;
  if (!existsSync(map)) return [];
  try {
    const { sources = [] } = JSON.parse(readFileSync(map, 'utf8'));
    return sources.map(packageOf).filter(Boolean);
  } catch {
    return [];
  }
}

process.on('exit', () => {
  if (!out) return;
  const files = [...resolved].map((url) => fileURLToPath(url));
  const packages = new Set(files.map(packageOf).filter(Boolean));
  const bundled = new Set(files.filter((f) => !packageOf(f)).flatMap(bundledPackages));
  const isUndici = (name) => name === 'undici' || name.startsWith('undici/');
  const report = {
    files,
    packages: [...packages].sort(),
    bundled: [...bundled].sort(),
    undici: packages.has('undici') || bundled.has('undici') || [...specifiers].some(isUndici),
  };
  writeFileSync(out, JSON.stringify(report));
});
