// The telemetry benchmark's collector: takes OTLP/HTTP exports (any encoding), answers 200 at once and counts
// them. Prints {"url": ...} first; GET answers {"exports": n, "bytes": n}.
//   node bench/child/otlp-sink.mjs
import { createServer } from 'node:http';

let exports = 0;
let bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET') return res.end(JSON.stringify({ exports, bytes }));
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    exports += 1;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
