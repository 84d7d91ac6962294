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
