// Runs the built CLI (bin/run.js → dist/cli) as a user would: a child process with its own cwd and a small,
// explicit environment, so the developer's variables and config files never leak in.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'run.js');
export const SCRIPT = '/usr/bin/script';

/** The e2e tests spawn the bundle: fail with a clear message when it was not built. */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'run.js'))) {
    throw new Error('dist/cli/run.js is missing: run `npm run build --silent` first (npm test does it)');
  }
}

let home: string | undefined;

/** An empty HOME for every spawned CLI: no ~/.config/llmpass, no ~/.llmpassrc from the developer. */
export function testHome(): string {
  if (!home) {
    home = mkdtempSync(join(tmpdir(), 'llmpass-home-'));
    const dir = home;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return home;
}

/** PATH, HOME and CI=1 (no spinner), plus what the test needs; `undefined` values are dropped. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: testHome(), CI: '1' };
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface CliOptions {
  args: string[];
  cwd: string;
  /** The whole environment of the child; baseEnv() when omitted. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; stdin is an empty pipe when omitted. */
  input?: string | Uint8Array;
  /** Run under a pseudo-terminal (`script`): stdout and stderr are then one stream, with \r\n turned into \n. */
  tty?: boolean;
  /** Terminal width under `tty`; 0 leaves the pty at 0 columns, as `script` without a terminal makes it. */
  columns?: number;
  /** The child is killed (SIGKILL) after this long; the result then has timedOut. */
  timeoutMs?: number;
  /** Prefix the command, e.g. ['/usr/bin/time', '-f', '%M', '-o', file]. */
  wrapper?: string[];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

export interface RunningCli {
  child: ChildProcess;
  /** Each stdout chunk with its arrival time (performance.now()). */
  chunks: Array<{ at: number; data: Buffer }>;
  result: Promise<CliResult>;
}

export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Starts the CLI and hands back the child, for tests that signal it or watch its output arrive. */
export function spawnCli(options: CliOptions): RunningCli {
  const env = options.env ?? baseEnv();
  const command = [...(options.wrapper ?? []), process.execPath, BIN, ...options.args];
  let child: ChildProcess;
  let pidFile: string | undefined;
  if (options.tty) {
    pidFile = join(options.cwd, `.cli-pid-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const columns = options.columns ?? 100;
    const size = columns > 0 ? `stty cols ${columns} rows 40 2>/dev/null; ` : '';
    const line = `${size}echo $$ > ${shellQuote(pidFile)}; exec ${command.map(shellQuote).join(' ')}`;
    child = spawn(SCRIPT, ['-qec', line, '/dev/null'], { cwd: options.cwd, env: { ...env, SHELL: '/bin/sh' }, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    // Its own process group, so that a timeout ends a wrapped CLI too (`/usr/bin/time node ...`): killing the
    // wrapper alone left the CLI holding the pipes, and the test waited on them past its own timeout.
    child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: Boolean(options.wrapper) });
    child.stdin!.on('error', () => {}); // the CLI may exit before reading all of stdin
    child.stdin!.end(options.input ?? '');
  }
  const chunks: Array<{ at: number; data: Buffer }> = [];
  const errChunks: Buffer[] = [];
  child.stdout!.on('data', (data: Buffer) => chunks.push({ at: performance.now(), data }));
  child.stderr!.on('data', (data: Buffer) => errChunks.push(data));
  let timedOut = false;
  const killAll = () => {
    timedOut = true;
    // Under `script` the CLI runs in its own session: kill it by the pid it wrote, not only script.
    if (pidFile) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
      } catch {
        // already gone, or never started
      }
    }
    if (options.wrapper && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL');
  };
  // A safety net, not a deadline: a CLI that must exit soon may still wait long for a core on a loaded machine.
  const timer = setTimeout(killAll, options.timeoutMs ?? 30_000);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (pidFile) rmSync(pidFile, { force: true });
      let stdout = Buffer.concat(chunks.map((c) => c.data));
      if (options.tty) stdout = Buffer.from(stdout.toString('utf8').replace(/\r\n/g, '\n'));
      resolve({ code, signal, stdout, stderr: Buffer.concat(errChunks).toString('utf8'), timedOut });
    });
  });
  return { child, chunks, result };
}

/** Runs the CLI to the end. */
export function runCli(options: CliOptions): Promise<CliResult> {
  return spawnCli(options).result;
}

/** Runs `llmpass call ...` in `cwd`. */
export function call(cwd: string, args: string[], more: Omit<CliOptions, 'args' | 'cwd'> = {}): Promise<CliResult> {
  return runCli({ args: ['call', ...args], cwd, ...more });
}

/** Runs a /bin/sh command line (for real pipes: `llmpass call ... | head -c 20`), with baseEnv() unless given. */
export function runShell(line: string, cwd: string, env: NodeJS.ProcessEnv = baseEnv(), timeoutMs = 15_000): Promise<CliResult> {
  const child = spawn('/bin/sh', ['-c', line], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (data: Buffer) => out.push(data));
  child.stderr.on('data', (data: Buffer) => err.push(data));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}

/** A loopback port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `check` until true, or throws after `ms`. */
export async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The stderr lines that look like a stack trace. */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((line) => /^\s+at /.test(line));
}
