import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Config } from '../config/load.ts';
import type { PassThroughEndpoint } from '../config/schema.ts';
import { resolveEnvValue } from '../config/env.ts';
import { isLlmpassError, NetworkError, RateLimitedError, UsageError } from '../errors.ts';
import { listProviders } from '../providers/registry.ts';
import type { ProviderSpec } from '../providers/types.ts';
import { resolveProviderDefault, type Deployment } from '../router/deployment.ts';
import type { Router, RouterEvent, RouterPassthroughOptions } from '../router/router.ts';
import { isJsonMediaType } from '../transport/headers.ts';
import { scanJsonYielding, type JsonBody } from '../transport/json-body.ts';
import { discardReply, type UpstreamReply } from '../transport/reply.ts';
import type { Secret } from '../secret.ts';
import { logRequest, type AccessLog } from './access-log.ts';
import { masterKeyCheck } from './auth.ts';
import { sendProxyError } from './errors.ts';
import { forwardedRequestHeaders, forwardedResponseHeaders } from './forwarding.ts';
import type { ProxyMetrics, RequestRecord } from './metrics.ts';
import { readLimited } from './read-body.ts';
import { routeTable, type Route } from './routes.ts';
import { configuredRouteDeployment } from './configured-route.ts';
import { allAliasesAnswer, routeAliasList } from './alias-lists.ts';
import { sharedProbe } from './shared-probe.ts';
import type { KeyGuard } from '../keys/guard.ts';
import { defaultKeyGuard } from '../keys/open.ts';
import { admitCall, bookReply, checkModel, enterRoute, KeyDeniedError, sendDenial, serveKeyApi } from '../keys/proxy-gate.ts';

export interface ProxyOptions {
  config: Config;
  /** A Router whose client is pooled (undiciClient). */
  router: Router;
  masterKey: Secret | undefined;
  log: AccessLog;
  metrics: ProxyMetrics;
  /** Largest JSON body parsed to swap the model; larger ones get 413. */
  maxJsonBody: number;
  /** Seconds; the deployment's or the router's when unset. */
  timeout?: number | undefined;
  /** Answers `/health/readiness?probe=1`: probes the deployments. */
  probe?: (() => Promise<{ healthy: boolean; detail: unknown }>) | undefined;
  /** Milliseconds a client may stay silent while sending a body before it gets 408 (slowloris); none when unset. */
  clientTimeoutMs?: number | undefined;
  /** Virtual keys (src/keys/); by default in the request log's database. */
  keys?: KeyGuard | undefined;
}

/** How long a readiness probe's result answers later callers: no client can make the deployments be probed faster. */
const PROBE_REUSE_MS = 5_000;

const NO_BODY = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

function splitUrl(url: string): { path: string; search: string } {
  const mark = url.indexOf('?');
  return mark === -1 ? { path: url, search: '' } : { path: url.slice(0, mark), search: url.slice(mark) };
}

/** `?key=` authenticates Gemini's SDK; it is read and removed, never forwarded. The rest stays byte for byte. */
function takeQueryKey(search: string): { key: string | null; rest: string } {
  if (!search.includes('key')) return { key: null, rest: search };
  let key: string | null = null;
  const kept: string[] = [];
  for (const part of search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // a malformed name is not `key`
    }
    if (decoded === 'key') {
      const raw = eq === -1 ? '' : part.slice(eq + 1);
      try {
        key = decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        key = raw;
      }
    } else kept.push(part);
  }
  return { key, rest: kept.length ? `?${kept.join('&')}` : '' };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The model a Gemini-style path names (`models/{model}:method`), if the provider puts it there. */
function modelInPath(provider: ProviderSpec, endpoint: string): string | undefined {
  return provider.modelFromPath?.(endpoint);
}

/**
 * The proxy's per-request path: route, authenticate, resolve (an alias in the body or the path goes through the
 * Router; anything else to the provider's own base), forward with bodies streamed both ways, and record.
 */
/**
 * Pipes the upstream body to the client with backpressure. (stream.pipeline costs an AbortController and a
 * DOMException per response, measurable at proxy rates.) A body cut short reaches the client as a broken
 * response, never as a clean end; a client that goes away stops the upstream body.
 */
function relay(reply: UpstreamReply, res: ServerResponse, record: RequestRecord): Promise<void> {
  return new Promise((resolve) => {
    const body = reply.body;
    const fail = (error: Error) => {
      record.error = error.message;
      res.destroy();
      resolve();
    };
    body.once('error', fail);
    res.once('close', () => {
      if (!body.readableEnded) body.destroy();
      resolve();
    });
    body.pipe(res);
  });
}

/**
 * Cuts off a client that goes silent while sending its body (a slowloris): `onSilent` after `ms` without a byte.
 * The clock stops while the body is paused by our own backpressure (an upstream slow to take an upload) and once
 * the body has all arrived; each resume starts it afresh.
 */
function watchBodySilence(req: IncomingMessage, res: ServerResponse, ms: number, onSilent: () => void): void {
  if (req.complete) return;
  const socket = req.socket;
  let armed = false;
  const arm = () => {
    if (req.complete) return;
    armed = true;
    socket.setTimeout(ms);
  };
  const disarm = () => {
    if (!armed) return;
    armed = false;
    // Once the answer is out Node has set the connection's keep-alive timeout on the socket: it stays.
    if (!res.writableFinished) socket.setTimeout(0);
  };
  // Node emits 'timeout' on a request still arriving; on a complete one only the response hears it, and with
  // nobody listening Node would reset the connection (a body all received, still being passed upstream).
  req.once('timeout', onSilent);
  res.on('timeout', () => {
    if (req.complete) disarm();
  });
  req.on('pause', disarm);
  req.on('resume', arm);
  req.once('end', disarm);
  req.once('close', disarm);
  arm();
}

/**
 * Runs one request's failure handling; if that fails too (a header Node refuses, a socket already gone), the
 * request ends with its connection destroyed and a log line. One request's trouble never reaches the process.
 */
function endRequest(res: ServerResponse, log: AccessLog, answer: () => void): void {
  try {
    answer();
  } catch (error) {
    res.destroy();
    log.error({ err: error }, 'failed to answer a failed request');
  }
}

export function createProxyHandler(options: ProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { router, metrics, log } = options;
  const route = routeTable(listProviders(), options.config.raw.general_settings?.pass_through_endpoints ?? []);
  const authenticated = options.masterKey ? masterKeyCheck(options.masterKey) : undefined;
  const probe = options.probe && sharedProbe(options.probe, PROBE_REUSE_MS);
  const keys = options.keys ?? defaultKeyGuard(options.masterKey, router.state);
  // A configured route's deployment (its headers' env references read) is built on first use, as aliases are.
  const configured = new Map<PassThroughEndpoint, Deployment>();
  const configuredDeployment = (entry: PassThroughEndpoint): Deployment => {
    let deployment = configured.get(entry);
    if (!deployment) configured.set(entry, (deployment = configuredRouteDeployment(entry, options.config)));
    return deployment;
  };

  async function serve(req: IncomingMessage, res: ServerResponse, record: RequestRecord, signal: AbortSignal, started: number): Promise<void> {
    const { path, search } = splitUrl(req.url ?? '/');
    const matched: Route | undefined = route(path, search);
    if (!matched) return sendProxyError(res, 404, `no route for ${req.method} ${path}: use /<provider>/<endpoint>, e.g. /vllm/classify`, 'route_not_found');
    record.route = matched.kind === 'provider' ? matched.provider.routePrefix : matched.kind === 'configured' ? matched.route.path : path;
    if (matched.kind === 'provider') record.provider = matched.provider.id;
    if (matched.kind === 'liveliness') return sendJson(res, 200, { status: 'alive' });
    if (matched.kind === 'readiness') {
      // Still ready when Redis is away (the replica routes on its own state): `routing_state` says so.
      const state = router.state.report();
      // Open to load balancers; only a caller with the key learns about deployments or makes them be probed.
      const trusted = !authenticated || authenticated(req.headers, takeQueryKey(search).key);
      if (!search.includes('probe=') || !probe) return sendJson(res, 200, trusted ? { status: 'healthy', aliases: router.aliases().length, routing_state: state } : { status: 'healthy', routing_state: state });
      if (!trusted) return sendProxyError(res, 401, 'probing the deployments (?probe=) needs the master key', 'invalid_api_key');
      const result = await probe();
      return sendJson(res, result.healthy ? 200 : 503, { status: result.healthy ? 'healthy' : 'unhealthy', detail: result.detail, routing_state: state });
    }
    if (matched.kind === 'metrics') {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(body);
      return;
    }

    const { key, rest } = takeQueryKey(search);
    // The one key check every route below passes (src/keys/): master or virtual key, route, key API rights.
    const caller = await enterRoute(keys, req, key, path, matched.kind === 'keys' ? matched.action : undefined, search);
    if (caller.kind === 'key') record.keyAlias = caller.record.key_alias ?? caller.record.key_name;

    // Node decodes only chunked; a body under another transfer coding (gzip, chunked) would go upstream still coded.
    const coding = req.headers['transfer-encoding'];
    if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') {
      res.shouldKeepAlive = false;
      return sendProxyError(res, 501, `transfer-encoding "${coding}" is not supported: send the body with content-length or chunked`, 'unsupported_transfer_encoding');
    }

    const method = req.method ?? 'GET';
    if (matched.kind === 'keys') return serveKeyApi(keys, caller, req, res, path, search, options.maxJsonBody);
    const visible = (alias: string) => keys.mayUse(caller, alias);
    if (matched.kind === 'aliases') return sendJson(res, 200, allAliasesAnswer(router, matched.shape, visible));
    const aliasList = matched.kind === 'provider' && method === 'GET' ? routeAliasList(matched.provider, matched.endpoint, router, visible) : undefined;
    if (aliasList !== undefined) return sendJson(res, 200, aliasList);
    const headers = forwardedRequestHeaders(req.rawHeaders);
    const contentType = req.headers['content-type'];
    const hasBody = !NO_BODY.has(method) || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const base: Omit<RouterPassthroughOptions, 'model'> = {
      endpoint: '',
      method,
      headers,
      signal,
      timeout: options.timeout,
      onEvent: (event: RouterEvent) => {
        if (event.type === 'retry') metrics.retried(event.deployment.provider.id);
        if (event.type === 'attempt') {
          record.deployment = event.deployment.id;
          served = event.deployment;
        }
      },
    };

    let served: Deployment | undefined;
    let reply: UpstreamReply;
    if (matched.kind === 'configured') {
      const deployment = configuredDeployment(matched.route);
      record.provider = 'configured';
      // As LiteLLM: without forward_headers only the configured headers (and the body's type) go upstream.
      const sent = matched.route.forward_headers ? headers : headers.filter(([name]) => name === 'content-type' || name === 'accept');
      const length = Number(req.headers['content-length']);
      await admitCall(keys, caller, res);
      reply = await router.sendTo(deployment, {
        ...base,
        headers: sent,
        endpoint: matched.subpath.replace(/^\/+/, '') + rest,
        body: hasBody ? req : undefined,
        bodyLength: hasBody && Number.isFinite(length) ? length : undefined,
      });
    } else {
      const provider = matched.provider;
      record.provider = provider.id;
      const endpoint = rest === search ? matched.endpoint : matched.endpoint.slice(0, matched.endpoint.length - search.length) + rest;
      let json: JsonBody | undefined;
      let body: Buffer | IncomingMessage | undefined;
      if (hasBody && isJsonMediaType(contentType)) {
        const bytes = await readLimited(req, options.maxJsonBody);
        body = bytes;
        // Checked and its model found without building objects, yielding to other requests on a large body.
        if (bytes.length) json = await scanJsonYielding(bytes, 'the body');
      } else if (hasBody) body = req;
      const length = body === req ? Number(req.headers['content-length']) : NaN;
      const bodyModel = json?.model;
      // One lookup each for the body's model and, failing that, the path's: aliasOf answers the configured name.
      const bodyAlias = typeof bodyModel === 'string' ? router.aliasOf(bodyModel) : undefined;
      const pathModel = bodyAlias === undefined ? modelInPath(provider, endpoint) : undefined;
      const pathAlias = pathModel === undefined ? undefined : router.aliasOf(pathModel);
      const alias = bodyAlias !== undefined ? (bodyModel as string) : pathAlias !== undefined ? pathModel : undefined;
      if (alias !== undefined) {
        const { deployments } = router.resolve(alias);
        const served = deployments[0]!.provider;
        if (served.id !== provider.id) throw new UsageError(`alias "${alias}" is served by ${served.id}; call it under ${served.routePrefix}/`);
        record.alias = (bodyAlias ?? pathAlias)!;
        checkModel(keys, caller, alias, record.alias);
        await admitCall(keys, caller, res);
        // A path alias leaves the body as sent, unless the provider repeats the model in it (read once, above).
        const pathBody = json !== undefined && provider.replaceBodyModels ? { json } : { body };
        const request = bodyAlias !== undefined ? { json } : { ...pathBody, pathModel: alias };
        reply = await router.send({ ...base, model: alias, endpoint, ...request });
      } else {
        const model = typeof bodyModel === 'string' ? bodyModel : '';
        checkModel(keys, caller, model || undefined);
        await admitCall(keys, caller, res);
        let deployment: Deployment;
        try {
          deployment = resolveProviderDefault(provider, model, options.config.env, provider.paramsFromPath?.(endpoint));
        } catch (error) {
          // No upstream but the alias the body meant, misspelt: `call`'s message, closest aliases and all.
          throw model ? router.unknownModel(model, (error as Error).message) : error;
        }
        reply = await router.sendTo(deployment, {
          ...base,
          endpoint,
          body,
          bodyLength: Number.isFinite(length) ? length : undefined,
          swapModel: false,
        });
      }
    }

    try {
      res.writeHead(reply.status, reply.statusText || undefined, forwardedResponseHeaders(reply.headers));
    } catch (error) {
      // A header Node will not write (a byte it refuses): 502 saying so, with none of the upstream's headers left.
      discardReply(reply);
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      throw new NetworkError(`the upstream's answer cannot be relayed: ${(error as Error).message}`);
    }
    record.status = reply.status;
    record.ttfbMs = performance.now() - started;
    bookReply(keys, caller, reply, served);
    await relay(reply, res, record);
  }

  return (req, res) => {
    const started = performance.now();
    const socket = req.socket;
    const readBefore = socket.bytesRead;
    const writtenBefore = socket.bytesWritten;
    const record: RequestRecord = { method: req.method ?? 'GET', route: '', provider: '', alias: '', deployment: '', status: 0, durationMs: 0, ttfbMs: undefined, bytesIn: 0, bytesOut: 0 };
    const controller = new AbortController();
    metrics.started();
    res.once('close', () => {
      if (!res.writableFinished) {
        controller.abort();
        record.error ??= 'the client closed the connection';
      }
      record.durationMs = performance.now() - started;
      // A request's bytes often arrive with its headers, before we look: trust content-length when given.
      record.bytesIn = Number(req.headers['content-length']) || socket.bytesRead - readBefore;
      record.bytesOut = socket.bytesWritten - writtenBefore;
      // A client gone before any answer is 499 (nginx's client closed request), not the 200 nobody sent.
      if (record.status === 0) record.status = res.headersSent ? res.statusCode : 499;
      metrics.finished(record);
      logRequest(log, record);
    });
    if (options.clientTimeoutMs) {
      const seconds = options.clientTimeoutMs / 1000;
      watchBodySilence(req, res, options.clientTimeoutMs, () => endRequest(res, log, () => {
        record.error = `the client sent no body bytes for ${seconds}s`;
        controller.abort();
        if (res.headersSent) return void res.destroy();
        // Not kept alive: Node closes the connection once the 408 is out, without reading the rest.
        res.shouldKeepAlive = false;
        sendProxyError(res, 408, `the request body stopped arriving for ${seconds}s (--client-timeout)`, 'client_timeout');
        record.status = 408;
      }));
    }
    serve(req, res, record, controller.signal, started).catch((error: unknown) =>
      endRequest(res, log, () => {
        record.error = (error as Error)?.message;
        if (controller.signal.aborted) return res.destroy();
        // Answered before the client's body is all in: close after the answer rather than read the rest.
        if (!req.complete) res.shouldKeepAlive = false;
        if (error instanceof KeyDeniedError) return sendDenial(res, error.denial);
        if (isLlmpassError(error)) {
          if (error.httpStatus >= 502) metrics.upstreamFailure(record.provider || 'none', error.code);
          if (error instanceof RateLimitedError && !res.headersSent) res.setHeader('retry-after', String(error.retryAfterSeconds));
          return sendProxyError(res, error.httpStatus, error.message, error.code.toLowerCase());
        }
        sendProxyError(res, 500, 'internal error', 'internal_error');
        log.error({ err: error }, 'unexpected error');
      }),
    );
  };
}

/** Resolves the master key: general_settings.master_key (os.environ/VAR allowed), else LLMPASS_MASTER_KEY. */
export function resolveMasterKey(config: Config): string | undefined {
  const configured = config.raw.general_settings?.master_key;
  if (configured) return resolveEnvValue(configured, { key: 'general_settings.master_key', file: config.filepath }, config.env).value;
  return config.env('LLMPASS_MASTER_KEY') || undefined;
}

export type { Server };
