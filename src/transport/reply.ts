import type { UpstreamReply } from '../core/reply.ts';
import { NetworkError } from '../errors.ts';

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

/**
 * The reason phrase as it may be relayed, printed or put in a Response: printable ASCII, else none. It carries no
 * meaning (RFC 9110 §15), and UTF-8 or control bytes in it break Node's writeHead, the web Response and terminals.
 */
export function usableReason(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text.trim() : '';
}

/** Statuses whose answers have no body (RFC 9110: 204, 205, 304). */
export const NULL_BODY_STATUS: ReadonlySet<number> = new Set([204, 205, 304]);

/**
 * The library's face: a web-standard Response whose body streams, whose body fails with the client's typed error. An answer the web
 * Response cannot hold (a status outside 200-599, a header it refuses) is a typed NetworkError, never a TypeError.
 */
export function toWebResponse(reply: UpstreamReply): Response {
  try {
    return webResponse(reply);
  } catch (error) {
    discardReply(reply);
    throw new NetworkError(`the upstream's answer (status ${reply.status}) cannot be represented as a Response: ${(error as Error).message}`, { cause: error });
  }
}

function webResponse(reply: UpstreamReply): Response {
  const headers = new Headers();
  for (const [name, value] of reply.headers) headers.append(name, value);
  if (reply.status < 200 || reply.status > 599) throw new RangeError(`status ${reply.status} is outside 200-599`);
  if (NULL_BODY_STATUS.has(reply.status)) {
    discardReply(reply);
    return new Response(null, { status: reply.status, statusText: usableReason(reply.statusText), headers });
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
  return new Response(body, { status: reply.status, statusText: usableReason(reply.statusText), headers });
}
