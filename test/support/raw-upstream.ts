// An upstream on a raw TCP socket (node:net) that answers whatever bytes a test gives it, for answers no HTTP
// server would write: odd status lines and reason phrases, header bytes, conflicting framing, early closes.
import { createServer, type Server, type Socket } from 'node:net';

/** What to send for one request: bytes, then close the connection (`end`) or reset it (`destroy`), or keep it. */
export interface RawAnswer {
  bytes: Buffer;
  after: 'end' | 'destroy' | 'keep';
}

export interface RawUpstream {
  url: string;
  /** Requests seen, by path. */
  seen: string[];
  close(): Promise<void>;
}

/** Answers each request with `answer(path)` once its head has arrived (a request body is read and ignored). */
export async function startRawUpstream(answer: (path: string) => RawAnswer): Promise<RawUpstream> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.resume();
      const path = head.slice(0, head.indexOf('\r\n')).split(' ')[1] ?? '/';
      seen.push(path);
      const { bytes, after } = answer(path);
      socket.write(bytes, () => {
        if (after === 'end') socket.end();
        else if (after === 'destroy') socket.destroy();
      });
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP/1.1 answer from a status line and header lines as raw bytes (latin1 strings or buffers) and a body. */
export function rawAnswer(statusLine: string | Buffer, headers: Array<string | Buffer>, body: string | Buffer = ''): Buffer {
  const crlf = Buffer.from('\r\n');
  const parts: Buffer[] = [];
  for (const line of [statusLine, ...headers]) parts.push(typeof line === 'string' ? Buffer.from(line, 'latin1') : line, crlf);
  parts.push(crlf, typeof body === 'string' ? Buffer.from(body) : body);
  return Buffer.concat(parts);
}
