import type { Interfaces } from '@oclif/core';
import type Proxy from '../../commands/proxy.ts';
import { parseSeconds } from '../seconds.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { continueOnRead } from '../../proxy/expect-continue.ts';
import { loadConfig } from '../../config/load.ts';
import { UsageError } from '../../errors.ts';
import { Router } from '../../router/router.ts';
import { routerStateFromConfig } from '../../router/state/from-config.ts';
import type { RouterState } from '../../router/state/types.ts';
import { Secret } from '../../secret.ts';
import { undiciClient } from '../../transport/undici-client.ts';
import { createAccessLog, type AccessLog } from '../../proxy/access-log.ts';
import { ProxyMetrics } from '../../proxy/metrics.ts';
import { resolveMasterKey } from '../../proxy/auth.ts';
import { createProxyHandler } from '../../proxy/server.ts';
import { proxyRequestLog } from '../../accounting/request-log.ts';
import { defaultKeyGuard } from '../../keys/open.ts';
import { loadDotenv } from '../dotenv.ts';
import { restartWithExposedGc } from './expose-gc.ts';
import { parseBytes } from '../parse-bytes.ts';
import { startTelemetry } from '../../telemetry/index.ts';
import { flushTurnEnd } from '../../accounting/turn-end.ts';

/** The `proxy` command's flags as oclif parses them, typed from its definitions. */
export type ProxyFlags = Interfaces.InferredFlags<typeof Proxy.flags>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** `llmpass proxy`: load, bind, print the banner, serve until a signal, then drain. */
export async function runProxy(flags: ProxyFlags): Promise<void> {
  restartWithExposedGc(); // a no-op once cli/run.ts has restarted (the usual way in)
  loadDotenv(flags.dotenv);
  const config = await loadConfig({ configPath: flags.config });
  const host = flags.host ?? process.env.HOST ?? '127.0.0.1';
  const port = flags.port ?? (process.env.PORT ? Number(process.env.PORT) : 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`port "${process.env.PORT}" (from PORT) is not a port number`);
  const key = resolveMasterKey(config);
  if (!key && !LOOPBACK.test(host) && !flags['allow-unauthenticated']) {
    throw new UsageError(`refusing to serve ${host} without a master key: set general_settings.master_key or LLMPASS_MASTER_KEY, or pass --allow-unauthenticated`);
  }
  const timeout = parseSeconds(flags.timeout, '--timeout');
  const maxJsonBody = parseBytes(flags['max-json-body'], '--max-json-body');
  const clientTimeout = parseSeconds(flags['client-timeout'] ?? '30', '--client-timeout')!;
  const clientTimeoutMs = clientTimeout * 1000;

  const pool = undiciClient();
  // Shared through Redis when router_settings or REDIS_URL names one; a Redis that is down does not stop the start.
  const router = new Router({ config, client: pool.client, state: await routerStateFromConfig(config) });
  const terminal = Boolean(process.stdout.isTTY);
  const { log, flush: flushLog } = await createAccessLog({ pretty: terminal });
  const metrics = new ProxyMetrics();
  const telemetry = await startTelemetry(config, { face: 'proxy', warn: (message) => log.warn(message) });
  if (telemetry.enabled) metrics.telemetryDrops(() => telemetry.dropped());
  // /health/readiness?probe=1 checks every deployment as `models --check` does (loaded on first use).
  const probe = async () => {
    const { checkDeployments } = await import('../../check/check.ts');
    const report = await checkDeployments(config, { client: pool.client, timeout: 5 });
    const detail = report.results.map((r) => ({ alias: r.alias, deployment: r.id, status: r.status, reason: r.reason, latency_ms: r.latencyMs }));
    return { healthy: report.ok, detail };
  };
  const requestLog = proxyRequestLog(config, process.env, (message) => log.warn({ request_log: message }, 'request log'));
  if (requestLog) metrics.requestLogRows(() => requestLog.status());
  const masterKey = key ? new Secret(key, 'master key') : undefined;
  const keys = defaultKeyGuard(masterKey, router.state);
  const handler = createProxyHandler({ config, router, masterKey, log, metrics, maxJsonBody, timeout, probe, clientTimeoutMs, requestLog, telemetry, keys });

  let stopping = false;
  // A client has --client-timeout to send its headers (checked every second, so it is cut near that, not up to
  // twice it); a whole request may take as long as it needs (an upload), its body's silences are bounded per request.
  const serverOptions = { requestTimeout: 0, headersTimeout: clientTimeoutMs, connectionsCheckingInterval: Math.min(1000, clientTimeoutMs), maxHeaderSize: 32 * 1024 };
  const server = createServer(serverOptions, (req, res) => {
    // While draining, every answer closes its connection, so kept-alive clients let go too.
    if (stopping) res.shouldKeepAlive = false;
    handler(req, res);
  });
  // Node would answer `Expect: 100-continue` at once: said instead when the body is first read (proxy/expect-continue.ts).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnRead(req, res, () => !stopping);
    server.emit('request', req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot listen on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use (--port)' : error.message}`)),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : String(address);
  const banner = {
    msg: 'llmpass proxy listening',
    url: bound,
    config: config.filepath ?? null,
    auth: key ? 'master key' : LOOPBACK.test(host) ? 'none (loopback only)' : 'none (--allow-unauthenticated)',
    aliases: router.aliases(),
    routes: config.providers.list().map((p) => p.routePrefix),
  };
  if (!key && !LOOPBACK.test(host)) process.stderr.write(`warning: serving ${host} without a master key: anyone who can reach it can spend your provider keys\n`);
  if (terminal) {
    process.stdout.write(`llmpass proxy on ${bound}\n  config  ${banner.config ?? '(none found)'}\n  auth    ${banner.auth}\n  aliases ${banner.aliases.join(', ') || '(none)'}\n  routes  ${banner.routes.join(' ')}\n`);
  } else process.stdout.write(`${JSON.stringify(banner)}\n`);
  watchRouterState(router.state, log, metrics);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      log.info({ signal, grace_s: flags.grace }, 'shutting down: no new connections, letting requests in flight finish');
      server.close(() => resolve());
      // Connections that finish their request later become idle later: keep closing them.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      sweep.unref();
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        server.closeAllConnections();
        resolve();
      }, flags.grace * 1000);
      timer.unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await pool.close().catch(() => undefined);
  // The last calls' rows are built once the turn their bodies closed in is over, then written; their keys' spend,
  // booked from those rows, is written before the routing state and the key store go.
  await nextTurn();
  flushTurnEnd();
  await requestLog?.close(5_000).catch(() => undefined);
  await keys.close().catch(() => undefined);
  await router.close().catch(() => undefined);
  await telemetry.shutdown(5_000);
  // Access lines wait for their rows and go out once a turn: the last ones before the log is flushed.
  await nextTurn();
  await flushLog();
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Says once in the log when Redis goes away and when it is back, and counts it in /metrics (after the banner). */
function watchRouterState(state: RouterState, log: AccessLog, metrics: ProxyMetrics): void {
  const report = state.report();
  if (report.backend !== 'redis') return;
  const redis = report.redis;
  metrics.redisState(report.shared);
  if (report.degraded) log.warn({ redis, reason: report.degraded.reason }, 'redis unavailable: this replica routes on its own cooldowns, limits and counts until it is back');
  state.subscribe((event) => {
    metrics.redisEvent(event);
    if (event.type === 'degraded') log.warn({ redis, reason: event.reason }, 'redis unavailable: this replica routes on its own cooldowns, limits and counts until it is back');
    if (event.type === 'restored') log.info({ redis }, 'redis is back: routing state is shared again');
  });
}
