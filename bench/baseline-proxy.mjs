// The proxy benchmark's baseline: a minimal proxy doing the job of llmpass's plain path, written by hand. node:http
// in front, undici.request on a keep-alive Agent behind (the same pool settings as llmpass's proxy), method, path
// and query forwarded as they come, headers minus hop-by-hop ones and the client's key, the upstream key added. A
// JSON body is buffered, parsed and its `model` swapped for the served one (as llmpass swaps an alias); any other
// body streams. Responses stream back with backpressure; a client that goes away aborts the upstream request.
// No auth check, no routing, no logging, no metrics.
//   node bench/baseline-proxy.mjs <upstream origin> <served model> <upstream key> [port]
// prints {"url": ...} as its first stdout line.
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
import { Agent, request } from 'undici';

const [origin, servedModel, upstreamKey, port = '0'] = process.argv.slice(2);
if (!origin || !servedModel || !upstreamKey) {
  console.error('usage: node bench/baseline-proxy.mjs <upstream origin> <served model> <upstream key> [port]');
  process.exit(2);
}
const upstream = new URL(origin).origin;
const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000, pipelining: 1 });

// host is set by undici from the URL; the client's key never goes upstream.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization']);
// A swapped JSON body has its own length: the client's content-length is dropped with it.
const JSON_DROPPED = new Set([...HOP_BY_HOP, 'content-length']);
const MAX_JSON = 16 * 1024 * 1024;
const NO_BODY = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

function connectionNamed(value) {
  const named = new Set();
  for (const one of Array.isArray(value) ? value : [value]) for (const token of one.split(',')) named.add(token.trim().toLowerCase());
  return named;
}

function requestHeaders(req, dropped) {
  const raw = req.rawHeaders;
  const named = req.headers.connection ? connectionNamed(req.headers.connection) : undefined;
  const out = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (dropped.has(name) || named?.has(name)) continue;
    out.push(name, raw[i + 1]);
  }
  out.push('authorization', `Bearer ${upstreamKey}`);
  return out;
}

/** The whole JSON body, its model swapped; undefined (and a 4xx sent) when it is too large or not JSON. */
async function swappedJson(req, res) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_JSON) return void fail(res, 413, 'body too large');
    chunks.push(chunk);
  }
  let value;
  try {
    value = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
  } catch {
    return void fail(res, 400, 'the body is not JSON');
  }
  if (value && typeof value === 'object' && typeof value.model === 'string') value.model = servedModel;
  return JSON.stringify(value);
}

function responseHeaders(headers) {
  const named = headers.connection ? connectionNamed(headers.connection) : undefined;
  const out = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) out.push(name, one);
  }
  return out;
}

function fail(res, status, message) {
  if (res.headersSent) return res.destroy();
  const body = JSON.stringify({ error: { message, type: 'upstream_error', code: 'upstream_error' } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 }, async (req, res) => {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const hasBody = !NO_BODY.has(req.method) || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const json = hasBody && /^application\/json\b/i.test(req.headers['content-type'] ?? '');
  let body = hasBody ? req : null;
  if (json) {
    body = await swappedJson(req, res);
    if (body === undefined) return;
  }
  let answer;
  try {
    answer = await request(upstream + req.url, {
      method: req.method,
      headers: requestHeaders(req, json ? JSON_DROPPED : HOP_BY_HOP),
      body,
      signal: controller.signal,
      dispatcher: agent,
    });
  } catch (error) {
    if (!controller.signal.aborted) fail(res, 502, `upstream: ${error.code ?? error.message}`);
    else res.destroy();
    return;
  }
  res.writeHead(answer.statusCode, responseHeaders(answer.headers));
  // A body cut short reaches the client as a broken response, never as a clean end.
  pipeline(answer.body, res, (error) => {
    if (error) res.destroy();
  });
});

server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
const stop = () => {
  server.close(() => void agent.close().finally(() => process.exit(0)));
  server.closeIdleConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
