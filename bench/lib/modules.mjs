// Which npm packages a command loads: runs it under bench/child/module-probe.mjs and reads the probe's report.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execOk } from './proc.mjs';

const PROBE = fileURLToPath(new URL('../child/module-probe.mjs', import.meta.url));

/**
 * `args` are Node's arguments (script and its own arguments); the probe goes in front as `--import`. `env`: added.
 * Resolves with { undici, packages (resolved from node_modules), bundled (inside loaded dist chunks), files, stdout }.
 */
export async function probeModules(args, { cwd, node = process.execPath, env = {} } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'llmpass-probe-'));
  try {
    const out = join(dir, 'report.json');
    const { stdout } = await execOk([node, '--import', PROBE, ...args], { cwd, env: { ...process.env, ...env, BENCH_PROBE_OUT: out } });
    return { ...JSON.parse(await readFile(out, 'utf8')), stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
