import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A plain HTTP server on a loopback ephemeral port, for an upstream that must control its sockets itself. */
export interface RawServer {
  server: Server;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Closes the listener and every connection, idle or not. */
  close(): Promise<void>;
}

/**
 * For fakes that the recording server (test/fixtures/recording.ts) cannot be: one that leaves the request body
 * unread, or sets its own keep-alive. Anything else uses startFakeUpstream().
 */
export async function startRawServer(handler: RequestListener, options: ServerOptions = {}): Promise<RawServer> {
  const server = createServer(options, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
