// Runs `llmpass proxy` (the built CLI) as a child process on an ephemeral loopback port, and small HTTP helpers
// for talking to it with full control of the headers (node:http, one connection per request, no decompression).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { assertBuilt, baseEnv, BIN } from './cli.ts';
import { exchange, type OutcomeOptions } from './outcome.ts';
import { tempDir } from './tmp.ts';

export interface ProxyCliOptions {
  /** The config file's YAML, written to a temp dir and passed with --config. */
  config: string;
  /** Added to the minimal environment (PATH, HOME, CI=1); `undefined` drops a variable. */
  env?: Record<string, string | undefined>;
  /** More flags after `proxy --port 0 --config <file>`. */
  args?: string[];
  /** How long to wait for the banner line. */
  startTimeoutMs?: number;
}

export interface ProxyExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One JSON line the proxy printed after its banner (access log lines have msg "request"). */
export type LogLine = Record<string, unknown>;

export interface ProxyCli {
  /** `http://127.0.0.1:PORT` as the banner says. */
  url: string;
  /** The banner, parsed. */
  banner: Record<string, unknown>;
  /** The raw banner line. */
  bannerLine: string;
  configFile: string;
  /** Every JSON line printed after the banner, as it arrives. */
  logs: LogLine[];
  /** All of stdout / stderr so far. */
  readonly stdout: string;
  readonly stderr: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<ProxyExit>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILL after `killAfterMs`. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<ProxyExit>;
  /** The access-log lines (msg "request") so far. */
  requests(): LogLine[];
  /** Waits until `count` access-log lines have been printed (pino writes asynchronously). */
  waitForRequests(count: number, ms?: number): Promise<LogLine[]>;
}

const running = new Set<ProxyCli>();

/** Starts `llmpass proxy --port 0 --config <file>` with stdout a pipe, so the banner is one JSON line. */
export async function startProxyCli(options: ProxyCliOptions): Promise<ProxyCli> {
  assertBuilt();
  const dir = tempDir('llmpass-proxy-');
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, options.config);
  const args = [BIN, 'proxy', '--port', '0', '--config', configFile, ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: dir, env: baseEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });

  let stdout = '';
  let stderr = '';
  let pending = '';
  let bannerLine: string | undefined;
  const logs: LogLine[] = [];
  let onBanner: (() => void) | undefined;
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    stdout += text;
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (bannerLine === undefined) {
        bannerLine = line;
        onBanner?.();
        continue;
      }
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ unparsed: line });
      }
    }
  });
  child.stderr!.on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<ProxyExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`llmpass proxy printed no banner within ${options.startTimeoutMs ?? 30_000} ms; stderr: ${stderr}`));
    }, options.startTimeoutMs ?? 30_000);
    onBanner = () => {
      clearTimeout(timer);
      resolve();
    };
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`llmpass proxy exited (${exit.code ?? exit.signal}) before its banner; stderr: ${stderr}`));
    });
  });

  const banner = JSON.parse(bannerLine!) as Record<string, unknown>;
  const requests = () => logs.filter((line) => line.msg === 'request');
  const proxy: ProxyCli = {
    url: String(banner.url),
    banner,
    bannerLine: bannerLine!,
    configFile,
    logs,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    child,
    exited,
    requests,
    async waitForRequests(count, ms = 15_000) {
      const end = Date.now() + ms;
      while (requests().length < count) {
        if (Date.now() > end) throw new Error(`expected ${count} access-log lines, got ${requests().length}: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return requests();
    },
    async stop(signal = 'SIGTERM', killAfterMs = 10_000) {
      running.delete(proxy);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        const exit = await exited;
        clearTimeout(timer);
        return exit;
      }
      return exited;
    },
  };
  running.add(proxy);
  return proxy;
}

/** Stops every proxy still running (for afterAll). */
export async function stopAllProxies(): Promise<void> {
  await Promise.all([...running].map((proxy) => proxy.stop('SIGKILL')));
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export type HttpOptions = OutcomeOptions;

/** One request on its own connection (exchange()), the body read whole and never decompressed; rejects when the
 * exchange did not end cleanly. */
export async function http(url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const outcome = await exchange(url, options);
  if (!outcome.ended) throw new Error(`${options.method ?? 'GET'} ${url}: ${outcome.error ?? 'no clean end'}`);
  const text = outcome.body.toString('utf8');
  return { status: outcome.status, headers: outcome.headers, rawHeaders: outcome.rawHeaders, body: outcome.body, text, json: <T>() => JSON.parse(text) as T };
}

/** JSON POST with the key as a Bearer token. */
export function postJson(url: string, body: unknown, key: string | undefined, headers: OutgoingHttpHeaders = {}): Promise<HttpAnswer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return http(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
    body: text,
  });
}

/** The shape of the errors the proxy makes itself. */
export interface ProxyErrorBody {
  error: { message: string; type: string; code: string };
}

/** Every header name and value a fake received, as one string (to look for a key anywhere in them). */
export function headerText(rawHeaders: string[]): string {
  return rawHeaders.join('\n');
}

/**
 * Writes `head` (request line and headers, CRLF-separated, without the blank line) and then each body piece
 * as given, on a fresh TCP connection, and resolves with every byte the server sent until it closed.
 * For what node:http will not send (a Trailer header without chunked encoding, odd framing).
 */
export function rawExchange(url: string, head: string[], body: Array<string | Buffer> = [], closeAfterMs = 2_000): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(target.port), target.hostname);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), closeAfterMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received).toString('utf8'));
    });
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    for (const piece of body) socket.write(piece);
  });
}
