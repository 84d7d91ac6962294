import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/load.ts';
import type { PassThroughEndpoint } from '../config/schema.ts';
import type { ProviderSpec } from '../providers/types.ts';
import { resolveProviderDefault } from '../router/deployment.ts';
import type { Router, RouterPassthroughOptions } from '../router/router.ts';
import { isJsonMediaType } from '../transport/headers.ts';
import { scanJsonYielding, type JsonBody } from '../transport/json-body.ts';
import type { Secret } from '../secret.ts';
import type { AccessLog } from './access-log.ts';
import { allAliasesAnswer, routeAliasList } from './alias-lists.ts';
import { observeProxyCall, type RequestLog } from '../accounting/request-log.ts';
import { holdForCost } from '../accounting/response-cost.ts';
import { NO_TELEMETRY, type CallTrace, type Telemetry } from '../telemetry/index.ts';
import { sendJson, sendProxyError } from './answers.ts';
import { masterKeyCheck, takeQueryKey } from './auth.ts';
import { watchBodySilence } from './body-silence.ts';
import { configuredRouteDeployment, configuredRouteRequest } from './configured-route.ts';
import { answerFailure, answerSilentClient, endRequest } from './errors.ts';
import { forwardedRequestHeaders, relayReply } from './forwarding.ts';
import { healthRoutes, type Probe } from './health.ts';
import type { ProxyMetrics, RequestRecord } from './metrics.ts';
import { observeRequest, requestObserver } from './observe.ts';
import { readLimited } from './read-body.ts';
import { routeTable } from './routes.ts';
import { modelTarget, routeTarget, type AliasLookup, type AliasTarget } from './target.ts';
import type { Deployment } from '../core/deployment.ts';
import type { UpstreamReply } from '../core/reply.ts';
import type { KeyGuard } from '../keys/guard.ts';
import { defaultKeyGuard } from '../keys/open.ts';
import { admitCall, checkModel, enterRoute, serveKeyApi, spendBooker } from '../keys/proxy-gate.ts';

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
  probe?: Probe | undefined;
  /** Milliseconds a client may stay silent while sending a body before it gets 408 (slowloris); none when unset. */
  clientTimeoutMs?: number | undefined;
  /** The request log (src/accounting/): each call's row, its tokens and cost in the metrics and the access log. */
  requestLog?: RequestLog | undefined;
  /** OpenTelemetry (src/telemetry/): a SERVER span per request, a CLIENT span per upstream attempt. */
  telemetry?: Telemetry | undefined;
  /** Virtual keys (src/keys/); by default in the request log's database. */
  keys?: KeyGuard | undefined;
}

const NO_BODY = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

function splitUrl(url: string): { path: string; search: string } {
  const mark = url.indexOf('?');
  return mark === -1 ? { path: url, search: '' } : { path: url.slice(0, mark), search: url.slice(mark) };
}

/**
 * The proxy's per-request path: route, authenticate, choose the target (an alias in the body or the path goes
 * through the Router; anything else to the provider's own base), forward with bodies streamed both ways, and
 * hand the request's record to its observer. A failure ends its own request only.
 */
export function createProxyHandler(options: ProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { router, log, metrics } = options;
  const route = routeTable(options.config.providers.list(), options.config.raw.general_settings?.pass_through_endpoints ?? []);
  const authenticated = options.masterKey ? masterKeyCheck(options.masterKey) : undefined;
  const health = healthRoutes(router, metrics, authenticated, options.probe, options.requestLog);
  const keys = options.keys ?? defaultKeyGuard(options.masterKey, router.state);
  const observer = requestObserver(metrics, log);
  const aliases: AliasLookup = { aliasOf: (model) => router.aliasOf(model), servedBy: (model) => router.resolve(model).deployments[0]!.provider };
  const modelList = (provider: ProviderSpec, endpoint: string, visible?: (alias: string) => boolean) => routeAliasList(provider, endpoint, router, visible);
  // A configured route's deployment (its headers' env references read) is built on first use, as aliases are.
  const configured = new Map<PassThroughEndpoint, Deployment>();
  const configuredDeployment = (entry: PassThroughEndpoint): Deployment => {
    let deployment = configured.get(entry);
    if (!deployment) configured.set(entry, (deployment = configuredRouteDeployment(entry, options.config)));
    return deployment;
  };

  const telemetry = options.telemetry ?? NO_TELEMETRY;

  /** A provider's own deployment for a request that names no alias; a body's misspelt alias gets `call`'s message. */
  function providerDeployment(provider: ProviderSpec, model: string, endpoint: string): Deployment {
    try {
      return resolveProviderDefault(provider, model, options.config.env, provider.paramsFromPath?.(endpoint));
    } catch (error) {
      // No upstream but the alias the body meant, misspelt: `call`'s message, closest aliases and all.
      throw model ? router.unknownModel(model, (error as Error).message) : error;
    }
  }

  /** The Router's request for an alias; a path alias leaves the body as sent, unless the provider repeats the model in it. */
  function aliasRequest(target: AliasTarget, provider: ProviderSpec, base: Omit<RouterPassthroughOptions, 'model'>, endpoint: string, json: JsonBody | undefined, body: Buffer | IncomingMessage | undefined): RouterPassthroughOptions {
    if (target.kind === 'body-alias') return { ...base, model: target.model, endpoint, json };
    const pathBody = json !== undefined && provider.replaceBodyModels ? { json } : { body };
    return { ...base, model: target.model, endpoint, ...pathBody, pathModel: target.model };
  }

  async function serve(req: IncomingMessage, res: ServerResponse, record: RequestRecord, signal: AbortSignal, started: number, trace: CallTrace): Promise<void> {
    const { path, search } = splitUrl(req.url ?? '/');
    const matched = route(path, search);
    if (!matched) return sendProxyError(res, 404, `no route for ${req.method} ${path}: use /<provider>/<endpoint>, e.g. /vllm/classify`, 'route_not_found');
    record.route = matched.kind === 'provider' ? matched.provider.routePrefix : matched.kind === 'configured' ? matched.route.path : path;
    if (matched.kind === 'provider') record.provider = matched.provider.id;
    if (matched.kind === 'liveliness') return health.liveliness(res);
    if (matched.kind === 'readiness') return health.readiness(req, res, search);
    if (matched.kind === 'metrics') return health.metrics(res);

    // Node decodes only chunked; a body under another transfer coding (gzip, chunked) would go upstream still coded.
    // Refused before any await: Node's parser would answer such a body with its own 400 meanwhile.
    const coding = req.headers['transfer-encoding'];
    if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') {
      res.shouldKeepAlive = false;
      return sendProxyError(res, 501, `transfer-encoding "${coding}" is not supported: send the body with content-length or chunked`, 'unsupported_transfer_encoding');
    }

    const { key, rest } = takeQueryKey(search);
    // The one key check every route below passes (src/keys/): master or virtual key, route, key API rights.
    // A promise only when the key store is read: the master key and cached keys cost no turn here.
    const entered = enterRoute(keys, req, key, path, matched.kind === 'keys' ? matched.action : undefined, search);
    const caller = entered instanceof Promise ? await entered : entered;
    if (caller.kind === 'key') record.keyAlias = caller.record.key_alias ?? caller.record.key_name;


    const method = req.method ?? 'GET';
    // The deployment last tried: its credentials are masked in a non-2xx answer, and a key's spend is booked to it.
    let tried: Deployment | undefined;
    if (matched.kind === 'keys') return serveKeyApi(keys, caller, req, res, path, search, options.maxJsonBody);
    const visible = (alias: string) => keys.mayUse(caller, alias);
    if (matched.kind === 'aliases') return sendJson(res, 200, allAliasesAnswer(router, matched.shape, rest, visible));
    const target = routeTarget(matched, method, (provider, endpoint) => modelList(provider, endpoint, visible));
    if (target.kind === 'model-list') return sendJson(res, 200, target.answer);
    const headers = forwardedRequestHeaders(req.rawHeaders);
    const hasBody = !NO_BODY.has(method) || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    // The request log's row and a key's spend come from one observation of the call.
    const call = (record.observer = observeProxyCall(options.requestLog, { endpoint: path, method, headers, keyAlias: record.keyAlias, bytesIn: req.headers['content-length'] }, spendBooker(keys, caller)));
    const base: Omit<RouterPassthroughOptions, 'model'> = {
      endpoint: '',
      method,
      headers,
      signal,
      timeout: options.timeout,
      onEvent: (event) => {
        if (event.type === 'attempt') tried = event.deployment;
        observer.routerEvent(event, record);
        trace.onEvent(event);
        call?.onEvent(event);
      },
    };

    let reply: UpstreamReply;
    if (target.kind === 'configured') {
      const deployment = configuredDeployment(target.route);
      record.provider = 'configured';
      const admitted = admitCall(keys, caller, res);
      if (admitted) await admitted;
      reply = await router.sendTo(deployment, configuredRouteRequest(target, base, headers, req, rest, hasBody));
    } else {
      const provider = target.provider;
      record.provider = provider.id;
      const endpoint = rest === search ? target.endpoint : target.endpoint.slice(0, target.endpoint.length - search.length) + rest;
      let json: JsonBody | undefined;
      let body: Buffer | IncomingMessage | undefined;
      if (hasBody && isJsonMediaType(req.headers['content-type'])) {
        const bytes = await readLimited(req, options.maxJsonBody);
        body = bytes;
        // Checked and its model found without building objects, yielding to other requests on a large body.
        if (bytes.length) {
          const scanned = scanJsonYielding(bytes, 'the body');
          json = scanned instanceof Promise ? await scanned : scanned;
        }
        if (call?.call.bodies) call.call.requestBody = () => bytes;
      } else if (hasBody) body = req;
      const chosen = modelTarget(provider, json?.model, provider.modelFromPath?.(endpoint), aliases);
      checkModel(keys, caller, chosen.model || undefined, chosen.kind === 'provider-default' ? undefined : chosen.alias);
      const admitted = admitCall(keys, caller, res);
      if (admitted) await admitted;
      if (chosen.kind === 'provider-default') {
        const length = body === req ? Number(req.headers['content-length']) : NaN;
        reply = await router.sendTo(providerDeployment(provider, chosen.model, endpoint), { ...base, endpoint, body, bodyLength: Number.isFinite(length) ? length : undefined, swapModel: false });
      } else {
        record.alias = chosen.alias;
        reply = await router.send(aliasRequest(chosen, provider, base, endpoint, json, body));
      }
    }
    if (call) call.call.model = record.alias;
    // A small priced JSON answer is held for its x-llmpass-response-cost header (watched by its observer while held).
    // The observer that reads the upstream's own body tells the trace what it read: its attempt span closes with that
    // body (a held copy would come too late), and one reading of its usage serves the row and the span.
    const holding = holdForCost(call, reply, tried, method, trace.follower);
    const held = holding && (await holding);
    if (held) reply = held;
    // The relay itself tells the observer (and through it the trace), or the trace alone, each chunk and the end: no
    // listeners beside it.
    const tap = holding ? undefined : call ? call.tap(reply, trace.follower(reply)) : trace.tap(reply);
    await relayReply(reply, res, record, started, tried, tap);
  }

  return (req, res) => {
    const started = performance.now();
    const controller = new AbortController();
    const trace = telemetry.serverRequest(req.method ?? 'GET', req.headers);
    const record = observeRequest(req, res, started, controller, observer, trace);
    if (options.clientTimeoutMs) {
      const seconds = options.clientTimeoutMs / 1000;
      watchBodySilence(req, res, options.clientTimeoutMs, () => endRequest(res, log, () => answerSilentClient(res, record, seconds, controller)));
    }
    serve(req, res, record, controller.signal, started, trace).catch((error: unknown) =>
      endRequest(res, log, () => {
        record.observer?.failed(error);
        answerFailure(error, req, res, record, controller.signal.aborted, metrics, log);
      }),
    );
  };
}
