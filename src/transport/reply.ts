import type { Readable } from 'node:stream';

/**
 * The upstream's answer as the transport hands it over: status, headers as received, and the body as a Node
 * stream that flows as it arrives. The CLI and the proxy pipe it; the library wraps it in a web Response
 * (`toWebResponse`), so only library callers pay for the web stream machinery.
 */
export interface UpstreamReply {
  status: number;
  statusText: string;
  /** Lower-case names, in the order received, repeated names kept. */
  headers: Array<[string, string]>;
  body: Readable;
}

export function replyHeader(reply: UpstreamReply, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of reply.headers) if (key === wanted) return value;
  return undefined;
}

/** Discards a reply that will not be passed on (a retried attempt): frees the connection. */
export function discardReply(reply: UpstreamReply): void {
  reply.body.on('error', () => undefined);
  reply.body.destroy();
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** The library's face: a web-standard Response whose body streams; a body that fails rejects with the client's typed error. */
export function toWebResponse(reply: UpstreamReply): Response {
  const headers = new Headers();
  for (const [name, value] of reply.headers) headers.append(name, value);
  if (NULL_BODY_STATUS.has(reply.status)) {
    discardReply(reply);
    return new Response(null, { status: reply.status, statusText: reply.statusText, headers });
  }
  const iterator = reply.body[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value instanceof Uint8Array ? value : new TextEncoder().encode(String(value)));
      } catch (error) {
        // Already typed by the client (NetworkError, UpstreamTimeoutError, AbortedError).
        controller.error(error);
      }
    },
    cancel() {
      reply.body.destroy();
    },
  });
  return new Response(body, { status: reply.status, statusText: reply.statusText, headers });
}
