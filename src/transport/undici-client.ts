import { Agent, request } from 'undici';
import type { HttpClient } from './http-client.ts';

export interface PoolOptions {
  /**
   * Most connections open to one upstream origin (256 by default). Requests beyond it queue inside the pool;
   * the header deadline below starts at the call, so queueing counts against the timeout too.
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
    connections: options.connectionsPerOrigin ?? 256,
    keepAliveTimeout: (options.keepAliveSeconds ?? 30) * 1000,
    pipelining: 1,
  });
  const client: HttpClient = async (outgoing, { signal, timeoutMs, onTimeout }) => {
    const headers: string[] = [];
    for (const [name, value] of outgoing.headers) headers.push(name, value);
    // undici's headersTimeout starts once the request is written; a request waiting for a pooled connection
    // would have no deadline. This one starts now and aborts the request, queued or sent.
    const deadline = new AbortController();
    const abortFromCaller = () => deadline.abort(signal.reason);
    signal.addEventListener('abort', abortFromCaller, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, timeoutMs);
    try {
      const response = await request(outgoing.url, {
        method: outgoing.method as 'GET',
        headers,
        body: outgoing.body ?? null,
        signal: deadline.signal,
        dispatcher: agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      clearTimeout(timer);
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
      clearTimeout(timer);
      if (timedOut || (error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT') throw onTimeout('headers');
      throw error;
    } finally {
      signal.removeEventListener('abort', abortFromCaller);
    }
  };
  return { client, close: () => agent.close() };
}
