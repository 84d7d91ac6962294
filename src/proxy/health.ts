import type { RequestLog } from '../accounting/request-log.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from '../router/router.ts';
import { sendJson, sendProxyError } from './answers.ts';
import { takeQueryKey, type KeyCheck } from './auth.ts';
import type { ProxyMetrics } from './metrics.ts';
import { sharedProbe } from './shared-probe.ts';

/** How long a readiness probe's result answers later callers: no client can make the deployments be probed faster. */
const PROBE_REUSE_MS = 5_000;

export type Probe = () => Promise<{ healthy: boolean; detail: unknown }>;

/** The operator's routes, answered before authentication: LiteLLM's liveliness and readiness, and /metrics. */
export interface HealthRoutes {
  liveliness(res: ServerResponse): void;
  readiness(req: IncomingMessage, res: ServerResponse, search: string): Promise<void>;
  metrics(res: ServerResponse): Promise<void>;
}

export function healthRoutes(router: Router, metrics: ProxyMetrics, authenticated: KeyCheck | undefined, probe: Probe | undefined, requestLog?: RequestLog): HealthRoutes {
  const probeShared = probe && sharedProbe(probe, PROBE_REUSE_MS);
  return {
    liveliness: (res) => sendJson(res, 200, { status: 'alive' }),
    async readiness(req, res, search) {
      // Still ready when Redis is away (the replica routes on its own state): `routing_state` says so.
      const state = router.state.report();
      // Open to load balancers; only a caller with the key learns about deployments or makes them be probed.
      const trusted = !authenticated || authenticated(req.headers, takeQueryKey(search).key);
      const log = trusted ? await requestLog?.status() : undefined;
      if (!search.includes('probe=') || !probeShared) return sendJson(res, 200, trusted ? { status: 'healthy', aliases: router.aliases().length, routing_state: state, request_log: log } : { status: 'healthy', routing_state: state });
      if (!trusted) return sendProxyError(res, 401, 'probing the deployments (?probe=) needs the master key', 'invalid_api_key');
      const result = await probeShared();
      sendJson(res, result.healthy ? 200 : 503, { status: result.healthy ? 'healthy' : 'unhealthy', detail: result.detail, routing_state: state });
    },
    async metrics(res) {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(body);
    },
  };
}
