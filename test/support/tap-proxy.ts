// A transparent HTTP proxy in front of a fake upstream that keeps the exact bytes of every response body it
// relays, so a test can compare the CLI's stdout with what the upstream really sent.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TapProxy {
  url: string;
  /** The response bodies, in order, byte for byte. */
  responses: Buffer[];
  close(): Promise<void>;
}

export async function startTapProxy(target: string): Promise<TapProxy> {
  const upstream = new URL(target);
  const responses: Buffer[] = [];
  const server = createServer((req, res) => {
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        const kept: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => {
          kept.push(chunk);
          res.write(chunk);
        });
        answer.on('end', () => {
          responses.push(Buffer.concat(kept));
          res.end();
        });
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    responses,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
