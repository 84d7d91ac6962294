// `npm run check:package`: the package as published. Builds once, packs it (as `npm publish` would, without running
// prepack a second time), then lints it with publint and checks its types with @arethetypeswrong/cli.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (command, args, options = {}) => execFileSync(command, args, { stdio: 'inherit', ...options });
const dir = mkdtempSync(join(tmpdir(), 'llmpass-pack-'));
try {
  run('npm', ['run', 'build', '--silent']);
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { encoding: 'utf8' }));
  const maps = packed.files.filter((file) => file.path.endsWith('.map'));
  if (maps.length > 0) throw new Error(`check:package: ${maps.length} source maps in the tarball (${maps[0].path}, ...)`);
  if (!packed.files.some((file) => file.path === 'LICENSE')) throw new Error('check:package: no LICENSE in the tarball');
  console.log(`check:package: ${packed.filename}, ${(packed.size / 1e6).toFixed(1)} MB packed, ${packed.entryCount} files`);
  run('npx', ['publint', '--strict']);
  run('npx', ['attw', join(dir, packed.filename), '--profile', 'esm-only', '--format', 'table-flipped']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
