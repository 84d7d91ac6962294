import { Router, assertModel, type RouterPassthroughOptions } from './router/router.ts';
import type { HttpClient } from './transport/http-client.ts';

export interface PassthroughOptions extends RouterPassthroughOptions {
  /** The HTTP client; Node's http by default. */
  client?: HttpClient;
}

/**
 * One passthrough call to `provider/model` (the seed's `llm_passthrough_route`), with `apiBase` and `apiKey` or
 * the provider's environment variables. Resolves to the upstream's Response, whatever its status.
 */
export async function passthrough(options: PassthroughOptions): Promise<Response> {
  assertModel(options.model);
  const router = new Router({ numRetries: 0, ...(options.client ? { client: options.client } : {}) });
  return router.passthrough(options);
}
