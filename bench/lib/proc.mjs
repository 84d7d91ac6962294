// Spawning commands: always asynchronous, so the in-process fixture server keeps answering meanwhile.
import { spawn } from 'node:child_process';

/**
 * Runs `argv` once, without a shell. stdout is a pipe (collected unless `collect` is false, then drained), as
 * hyperfine's `--output=pipe`. Resolves with the exit code, the output and the wall time in milliseconds.
 */
export function exec(argv, { cwd, env, collect = true } = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => { if (collect) out.push(chunk); });
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? 128,
        signal,
        ms: performance.now() - start,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Like `exec`, but a non-zero exit is an error that carries the command and its stderr. */
export async function execOk(argv, opts) {
  const result = await exec(argv, opts);
  if (result.code !== 0) {
    throw new Error(`exit ${result.signal ?? result.code}: ${argv.join(' ')}\n${result.stderr.trim()}`);
  }
  return result;
}
