// The proxy benchmark's client, in a process of its own (pinned next to the upstream, away from the proxy under
// test). One job per run, given as JSON; prints its result as one JSON line.
//   node bench/child/client.mjs '{"mode":"load",...}'     autocannon: req/s, latency percentiles from every response
//   node bench/child/client.mjs '{"mode":"sse",...}'      sequential SSE requests, targets interleaved
//   node bench/child/client.mjs '{"mode":"upload",...}'   one streamed upload of `bytes` generated on the fly
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';

const job = JSON.parse(process.argv[2] ?? '{}');

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** autocannon for `seconds`; latencies kept unrounded (autocannon's own histogram has 1 ms steps). */
function load({ url, method = 'POST', headers, body, connections = 50, seconds = 10 }) {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, method, headers, body, connections, duration: seconds }, (error, result) => {
      if (error) return reject(error);
      const sorted = latencies.subarray(0, count).sort();
      resolve({
        requests: result['2xx'],
        rps: result['2xx'] / result.duration,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        p999: percentile(sorted, 99.9),
        autocannonP99: result.latency.p99,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        clientCpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      });
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status < 200 || status > 299) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = ms;
    });
  });
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * One SSE request: ms to the first body bytes, ms to the last event, and the median delivery time (ms, from the
 * upstream's write to here, by the events' `t`) of the events after the first.
 */
function sseOnce(agent, url, headers, body, events) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let first;
    let last;
    let seen = 0;
    const delivery = [];
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`${url}: HTTP ${res.statusCode}`));
      }
      res.setEncoding('utf8');
      let tail = '';
      res.on('data', (text) => {
        const now = performance.now();
        first ??= now;
        tail += text;
        let end;
        const nowUs = monotonicUs();
        while ((end = tail.indexOf('\n\n')) !== -1) {
          const stamp = /"t":(\d+)/.exec(tail.slice(0, end));
          if (seen > 0 && stamp) delivery.push((nowUs - Number(stamp[1])) / 1000);
          tail = tail.slice(end + 2);
          seen += 1;
          if (seen === events) last = now;
        }
      });
      res.on('end', () => {
        if (seen !== events) return reject(new Error(`${url}: ${seen} events, expected ${events}`));
        delivery.sort((a, b) => a - b);
        resolve({ first: first - start, last: last - start, later: delivery[delivery.length >> 1] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `rounds` rounds, each one request per target in turn (the order rotating), after `warmup` unrecorded rounds. */
async function sse({ targets, headers, body, rounds = 30, warmup = 3, events }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out = Object.fromEntries(targets.map((t) => [t.name, { first: [], last: [], later: [] }]));
  for (let round = -warmup; round < rounds; round++) {
    const shift = ((round % targets.length) + targets.length) % targets.length;
    const order = [...targets.slice(shift), ...targets.slice(0, shift)];
    for (const target of order) {
      const { first, last, later } = await sseOnce(agent, target.url, headers, body, events);
      if (round < 0) continue;
      out[target.name].first.push(first);
      out[target.name].last.push(last);
      out[target.name].later.push(later);
    }
  }
  agent.destroy();
  return out;
}

/** Streams `bytes` of a repeated 64 KiB block (never the whole body in memory) with a content-length. */
function upload({ url, headers, bytes }) {
  const block = Buffer.alloc(64 * 1024, 'llmpass upload bench ');
  let left = bytes;
  const source = new Readable({
    highWaterMark: block.length,
    read() {
      const size = Math.min(left, block.length);
      left -= size;
      this.push(size === block.length ? block : block.subarray(0, size));
      if (left === 0) this.push(null);
    },
  });
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { method: 'POST', agent: false, headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bytes) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => {
        const ms = performance.now() - start;
        if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
        const received = JSON.parse(text).bytes;
        if (received !== bytes) return reject(new Error(`${url}: the upstream received ${received} bytes of ${bytes}`));
        resolve({ ms, bytes });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    source.pipe(req);
  });
}

const modes = { load, sse, upload };
if (!modes[job.mode]) {
  console.error(`usage: node bench/child/client.mjs '{"mode":"load"|"sse"|"upload",...}'`);
  process.exit(2);
}
modes[job.mode](job).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
