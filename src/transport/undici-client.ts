import { Agent, request } from 'undici';
import type { HttpClient } from './http-client.ts';

export interface PoolOptions {
  /**
   * Most connections open to one upstream origin; unbounded by default. A cap queues requests inside the proxy,
   * where no timeout runs: a client beyond it would wait for a free connection longer than its timeout.
   */
  connectionsPerOrigin?: number;
  /** Seconds an idle connection is kept alive. */
  keepAliveSeconds?: number;
}

/**
 * A pooled client for long-lived processes (the proxy): keep-alive connections to each upstream origin (one per
 * request in flight, reused when idle), and undici's own header and body timeouts. Bodies are not decompressed:
 * bytes pass through as the upstream sent them.
 */
export function undiciClient(options: PoolOptions = {}): { client: HttpClient; close: () => Promise<void> } {
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? null,
    keepAliveTimeout: (options.keepAliveSeconds ?? 30) * 1000,
    pipelining: 1,
  });
  const client: HttpClient = async (outgoing, { signal, timeoutMs, onTimeout }) => {
    const headers: string[] = [];
    for (const [name, value] of outgoing.headers) headers.push(name, value);
    try {
      const response = await request(outgoing.url, {
        method: outgoing.method as 'GET',
        headers,
        body: outgoing.body ?? null,
        signal,
        dispatcher: agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const pairs: Array<[string, string]> = [];
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        for (const one of Array.isArray(value) ? value : [value]) pairs.push([name, one]);
      }
      const body = response.body;
      // undici reports a silent body as its own error; turn it into ours where it is raised.
      const destroy = body.destroy.bind(body);
      body.destroy = ((error?: Error) => {
        if ((error as { code?: string } | undefined)?.code === 'UND_ERR_BODY_TIMEOUT') return destroy(onTimeout('body'));
        return destroy(error);
      }) as typeof body.destroy;
      return { status: response.statusCode, statusText: response.statusText ?? '', headers: pairs, body };
    } catch (error) {
      if ((error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT') throw onTimeout('headers');
      throw error;
    }
  };
  return { client, close: () => agent.close() };
}
