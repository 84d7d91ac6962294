import type { Deployment, DeploymentOverrides } from '../core/deployment.ts';
import type { PassthroughRequest, UpstreamRequest } from '../core/request.ts';

/** What the Router tells while it routes one call: observers (batches, the proxy's log, telemetry) hang on these. */
export type RouterEvent =
  | { type: 'attempt'; deployment: Deployment; request: UpstreamRequest; attempt: number }
  | {
      type: 'retry';
      deployment: Deployment;
      reason: string;
      delayMs: number;
      /** The attempt about to be made (2 for the first retry), of `attempts` at most. */
      next: number;
      attempts: number;
      /** The answer's status when an HTTP answer (429, 5xx) is retried; undefined for a connection failure. */
      status?: number | undefined;
      /** What the upstream's `Retry-After` asked for, before the cap: batches slow down on it. */
      retryAfterMs?: number | undefined;
    }
  | { type: 'cooldown'; deployment: Deployment }
  /** A cooling deployment passed over by this attempt's pick (sent only when another, warm one was picked). */
  | { type: 'skip'; deployment: Deployment; reason: string }
  | { type: 'fallback'; from: string; to: string }
  | { type: 'answered'; deployment: Deployment; status: number };

export interface RouterPassthroughOptions extends PassthroughRequest, DeploymentOverrides {
  /** An alias from the model list, a wildcard route's match, or `provider/model`. */
  model: string;
  signal?: AbortSignal | undefined;
  /** Seconds; overrides the deployment's and the router's. */
  timeout?: number | undefined;
  /** Overrides `numRetries` for this call. */
  retries?: number | undefined;
  onEvent?: ((event: RouterEvent) => void) | undefined;
}

/** A model name's deployments, and the alias that named them (none for a `provider/model` used directly). */
export interface Candidates {
  alias: string | undefined;
  deployments: Deployment[];
}
