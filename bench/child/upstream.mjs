// The proxy benchmark's upstream, in a process of its own: node:http on a free loopback port, printing
// {"url": ...} as its first stdout line. Routes match on the path's end, so /classify and /vllm/classify alike:
//   POST …/classify  a fixed small JSON answer (the request body is read first, as a real server does)
//   POST …/sse       text/event-stream, SSE_EVENTS events SSE_GAP_MS apart, the first at once, the last with the end
//   POST …/upload    consumes the body and answers {"bytes": n}
//   GET  /last        what the last /classify request carried: {"model", "authorization"}, for the bench to check
//                     that each proxy swapped the model and set the upstream key
// Each SSE event carries `t`, the monotonic clock (µs, shared by every process on the machine) when it was written:
// the client measures each event's delivery time, so a proxy's added latency per event is seen apart from the first.
//   node bench/child/upstream.mjs
import { createServer } from 'node:http';
import { CLASSIFY_ANSWER, SSE_EVENTS, SSE_GAP_MS } from '../lib/upstream-spec.mjs';

const classifyBytes = Buffer.from(CLASSIFY_ANSWER);
const classifyHeaders = { 'content-type': 'application/json', 'content-length': String(classifyBytes.length) };
const event = (i) => `data: {"id":"sse-bench","index":${i},"t":${Number(process.hrtime.bigint() / 1000n)},"delta":"token ${i}"}\n\n`;
let last = { model: undefined, authorization: undefined };

function classify(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      last = { model: JSON.parse(Buffer.concat(chunks).toString('utf8')).model, authorization: req.headers.authorization };
    } catch {
      last = { model: undefined, authorization: req.headers.authorization };
    }
    res.writeHead(200, classifyHeaders);
    res.end(classifyBytes);
  });
}

function sse(req, res) {
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let sent = 0;
    let timer;
    const next = () => {
      sent += 1;
      if (sent === SSE_EVENTS) res.end(event(sent));
      else {
        res.write(event(sent));
        timer = setTimeout(next, SSE_GAP_MS);
      }
    };
    res.on('close', () => clearTimeout(timer));
    next();
  });
  req.resume();
}

function upload(req, res) {
  let bytes = 0;
  req.on('data', (chunk) => { bytes += chunk.length; });
  req.on('end', () => {
    const body = JSON.stringify({ bytes });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const path = req.url.split('?', 1)[0];
  if (path.endsWith('/classify')) return classify(req, res);
  if (path.endsWith('/sse')) return sse(req, res);
  if (path.endsWith('/upload')) return upload(req, res);
  if (path === '/last') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(last));
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end(`no route ${path}\n`);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
