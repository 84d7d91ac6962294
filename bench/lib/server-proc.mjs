// A server under test in a child process: started with its stdout a pipe (not a TTY), ready once it prints a JSON
// line with a `url`; the rest of its stdout (an access log) is read and counted, never left to fill the pipe.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const READY_MS = 20_000;
const KEEP_LINES = 50;

/** Spawns a server that dies with this runner (an error, run.mjs's own SIGTERM handling); stderr()'s last 8 KiB kept. */
export function spawnServer(argv, { cwd, env, stdout }) {
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', stdout, 'pipe'] });
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  child.once('exit', () => process.off('exit', orphan));
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => { err = (err + text).slice(-8192); });
  return { child, stderr: () => err.trim() };
}

/** Asks a child to stop with `signal`, SIGKILL after 5 s; resolves once it has exited. */
export async function stopChild(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `argv` and resolves when its banner arrives: { url, banner, pid, lines (the last log lines), lineCount,
 * stderr(), close() }. Rejects with the child's stderr when it exits or stays silent first.
 */
export function startServer(name, argv, { cwd, env } = {}) {
  const { child, stderr } = spawnServer(argv, { cwd, env, stdout: 'pipe' });
  const server = {
    name,
    pid: child.pid,
    url: undefined,
    banner: undefined,
    lines: [],
    lineCount: 0,
    stderr,
    close: () => stopChild(child, 'SIGTERM'),
  };

  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: no banner within ${READY_MS / 1000} s\n${stderr()}`));
    }, READY_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${name}: cannot start ${argv[0]}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!server.url) reject(new Error(`${name} exited (${signal ?? code}) before it was ready: ${argv.join(' ')}\n${stderr()}`));
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      pending += text;
      let newline;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (server.url) {
          server.lineCount += 1;
          server.lines.push(line);
          if (server.lines.length > KEEP_LINES) server.lines.shift();
          continue;
        }
        try {
          const banner = JSON.parse(line);
          if (typeof banner.url !== 'string') continue;
          server.banner = banner;
          server.url = banner.url;
          clearTimeout(timer);
          resolve(server);
        } catch {
          // not the banner yet
        }
      }
    });
  });
}
