// A real redis-server (Debian's package) on an ephemeral loopback port, without persistence, started and stopped
// by the tests themselves; `stop()` and `start()` again on the same port simulate an outage.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { deadPort } from './cli.ts';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisServer {
  port: number;
  url: string;
  /** Starts the server (again) on its port and waits until it answers PING. */
  start(): Promise<void>;
  /** Stops it (SIGKILL: an outage, not a shutdown) and waits for the exit. */
  stop(): Promise<void>;
  /** One command over a fresh connection, the reply as redis-server sent it (RESP text). */
  command(...args: string[]): Promise<string>;
}

const running = new Set<RedisServer>();

export function redisInstalled(): boolean {
  return existsSync(REDIS_SERVER);
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Sends one command and resolves with the raw reply once it stops arriving (small replies: one read). */
function rawCommand(port: number, args: string[], ms = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port}: no reply to ${args[0]} within ${ms} ms`));
    }, ms);
    socket.setEncoding('utf8');
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (text: string) => {
      reply += text;
      if (!reply.endsWith('\r\n')) return;
      clearTimeout(timer);
      socket.end();
      resolve(reply);
    });
    socket.write(encode(args));
  });
}

export async function startRedis(): Promise<RedisServer> {
  if (!redisInstalled()) throw new Error(`${REDIS_SERVER} not found: apt-get install redis-server (as .ci/run does), or set REDIS_SERVER`);
  const port = await deadPort();
  let child: ChildProcess | undefined;
  let stderr = '';
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      stderr = '';
      child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const end = Date.now() + 5_000;
      for (;;) {
        try {
          if ((await rawCommand(port, ['PING'], 200)).startsWith('+PONG')) return;
        } catch {
          // not listening yet
        }
        if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${stderr}`);
        if (Date.now() > end) throw new Error(`redis-server on ${port} did not answer PING within 5 s: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGKILL');
      await exited;
    },
    command: (...args) => rawCommand(port, args),
  };
  await server.start();
  running.add(server);
  return server;
}

/** Stops every server started here (for afterAll). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
  running.clear();
}
