/**
 * Restarts this process in place (same pid, same stdio, same arguments) with --expose-gc, so that the proxy's
 * pooled client can free streamed bodies' buffers promptly (transport/young-buffers.ts). It runs on without it
 * where Node cannot replace a process (Windows, no process.execve, --permission without child processes), where a
 * parent talks to it over IPC (the channel would not survive), and where gc flags were given already (so a
 * --no-expose-gc or --expose-gc-as can never make it restart again and again).
 */
export function restartWithExposedGc(): void {
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') return;
  if (process.execArgv.some((flag) => /^--(no-)?expose[-_]gc/.test(flag))) return;
  if (process.channel || process.platform === 'win32') return;
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function') return;
  try {
    execve(process.execPath, [process.execPath, '--expose-gc', ...process.execArgv, ...process.argv.slice(1)], process.env);
  } catch {
    // Not allowed here (the permission model): streamed bodies are then freed by V8's own collections.
  }
}
