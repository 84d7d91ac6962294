// hyperfine (https://github.com/sharkdp/hyperfine) as the timer: `-N` (no intermediate shell), output through a
// pipe, results read back from `--export-json`.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from './proc.mjs';

/** hyperfine's version string, or undefined when it cannot be run. */
export function hyperfineVersion(bin = 'hyperfine') {
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/** POSIX quoting, which hyperfine's `-N` splits back into the original arguments. */
export function shellQuote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export async function measureWithHyperfine(commands, { warmup, runs, cwd, bin = 'hyperfine' }) {
  const dir = await mkdtemp(join(tmpdir(), 'llmpass-hyperfine-'));
  try {
    const json = join(dir, 'results.json');
    const args = ['-N', '--warmup', String(warmup), '--runs', String(runs), '--output=pipe', '--style', 'basic', '--export-json', json];
    for (const { name, argv } of commands) args.push('--command-name', name, argv.map(shellQuote).join(' '));
    const result = await exec([bin, ...args], { cwd });
    if (result.code !== 0) throw await failure(result, commands, cwd);
    const { results } = JSON.parse(await readFile(json, 'utf8'));
    return results.map((r, i) => ({
      name: commands[i].name,
      median: r.median * 1000,
      mean: r.mean * 1000,
      stddev: (r.stddev ?? 0) * 1000,
      min: r.min * 1000,
      max: r.max * 1000,
      runs: r.times.length,
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** hyperfine does not say which command failed, nor how: the last `Benchmark N:` it printed does; rerun that one. */
async function failure(result, commands, cwd) {
  const started = [...result.stdout.matchAll(/^Benchmark (\d+):/gm)].at(-1);
  const command = started ? commands[Number(started[1]) - 1] : undefined;
  let detail = (result.stderr || result.stdout).trim();
  if (command) {
    const again = await exec(command.argv, { cwd });
    detail = `${command.name} (${command.argv.join(' ')}) failed; rerun: exit ${again.code}\n${again.stderr.trim()}\nhyperfine: ${detail}`;
  }
  return new Error(`hyperfine failed (exit ${result.code}): ${detail}`);
}
