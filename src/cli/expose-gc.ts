/**
 * Restarts this process in place (same pid, same stdio, same arguments) with --expose-gc, so that the proxy's
 * pooled client can free streamed bodies' buffers promptly (transport/young-buffers.ts). Where Node cannot
 * replace a process (Windows, or a Node without process.execve) the proxy runs on without it.
 */
export function restartWithExposedGc(): void {
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') return;
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function' || process.platform === 'win32') return;
  execve(process.execPath, [process.execPath, '--expose-gc', ...process.execArgv, ...process.argv.slice(1)], process.env);
}
