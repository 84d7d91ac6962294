// nginx as the proxy bench's native reference: Debian's package (installed with apt-get when missing and this
// process is root), one worker with no master process (so its pid is the one doing the work), pinned like the
// Node proxies, a keep-alive pool to the upstream, no buffering either way (SSE and uploads stream through).
// It forwards as it comes: no body parse, no model swap, only the upstream key set. Undefined with a note when
// nginx cannot be had.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { spawnServer, stopChild } from './server-proc.mjs';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

function findNginx() {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** The nginx binary, installed from Debian's packages when missing and we are root; else { why }. */
export function nginxBinary(log) {
  let path = findNginx();
  if (path) return { path };
  if (process.getuid?.() !== 0) return { why: 'nginx is not installed and this is not root (apt-get install nginx-light)' };
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return { why: 'nginx is not installed and there is no apt-get' };
  log('nginx missing: apt-get install -y nginx-light (Debian\'s package)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = spawnSync('apt-get', ['install', '-y', '-q', 'nginx-light'], { stdio: 'ignore', env });
  if (result.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
    result = spawnSync('apt-get', ['install', '-y', '-q', 'nginx-light'], { stdio: 'ignore', env });
  }
  path = findNginx();
  return path ? { path } : { why: `apt-get install nginx-light failed (exit ${result.status})` };
}

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port, child, stderr) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}) before it was ready\n${stderr()}`);
    const ok = await new Promise((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nginx: port ${port} not open within 5 s\n${stderr()}`);
}

/** Starts nginx in front of `upstreamUrl`, pinned by `pin(argv)`; the same shape as startServer's answer. */
export async function startNginx({ binary, dir, upstreamUrl, upstreamKey, pin }) {
  const prefix = join(dir, 'nginx');
  await mkdir(join(prefix, 'tmp'), { recursive: true });
  const port = await freePort();
  const upstream = new URL(upstreamUrl);
  const conf = join(prefix, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 1;
daemon off;
master_process off;
pid ${join(prefix, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'tmp')};
  proxy_temp_path ${join(prefix, 'tmp')};
  fastcgi_temp_path ${join(prefix, 'tmp')};
  uwsgi_temp_path ${join(prefix, 'tmp')};
  scgi_temp_path ${join(prefix, 'tmp')};
  upstream bench { server ${upstream.host}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${upstreamKey}";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`,
  );
  const argv = pin([binary, '-p', prefix, '-c', conf, '-e', 'stderr']);
  const { child, stderr } = spawnServer(argv, { stdout: 'ignore' });
  try {
    await waitForPort(port, child, stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    name: 'nginx',
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    lines: [],
    lineCount: 0,
    stderr,
    // SIGQUIT: nginx's graceful stop.
    close: () => stopChild(child, 'SIGQUIT'),
  };
}
