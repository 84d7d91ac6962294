// The telemetry benchmark's in-process probe: the CPU the tracing seam itself costs a proxy request (SERVER span,
// one CLIENT attempt, its JSON answer watched, both ended, OTLP/protobuf export to the collector at `url`), without
// HTTP around it. Rounds alternate a bare request shape (the same stream, no trace) with a traced one; prints
// {"plainUs": [...], "tracedUs": [...]} per round. Read beside the proxy's figures: the proxy's added CPU per request
// above this is what the traced process loses around the seam (allocation, caches), not the seam's own work.
//   node bench/child/telemetry-seam.mjs '{"url":"http://127.0.0.1:port","requests":20000,"rounds":5}'
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { CLASSIFY_ANSWER } from '../lib/upstream-spec.mjs';

const job = JSON.parse(process.argv[2] ?? '{}');
process.env.OTEL_EXPORTER_OTLP_ENDPOINT = job.url;
const { startOtel } = await import('../../src/telemetry/otel.ts');
const telemetry = await startOtel({ face: 'proxy', traces: { protocol: 'http/protobuf' }, metrics: { protocol: 'http/protobuf' }, serviceName: 'llmpass-bench', captureContent: false, warnings: [] }, () => undefined);

const deployment = { id: 'bench-classifier#0', alias: 'bench-classifier', model: 'bench/served-model', provider: { id: 'hosted_vllm' } };
const answer = Buffer.from(CLASSIFY_ANSWER);
const clientHeaders = { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': '48' };

/** The answer's body passing to its reader, as the proxy relays it. */
async function relay(trace) {
  const body = new PassThrough();
  body.on('data', () => undefined);
  trace?.watch({ status: 200, statusText: 'OK', headers: [['content-type', 'application/json']], body });
  body.end(answer);
  await once(body, 'close');
}

async function traced() {
  const trace = telemetry.serverRequest('POST', clientHeaders);
  const request = { method: 'POST', url: new URL('http://127.0.0.1:8000/vllm/classify'), headers: new Map([['content-type', 'application/json']]), body: undefined, replayable: true, deployment };
  trace.onEvent({ type: 'attempt', deployment, request, attempt: 0 });
  trace.onEvent({ type: 'answered', status: 200 });
  await relay(trace);
  trace.end({ status: 200, route: '/vllm', alias: 'bench-classifier' });
}

const plain = () => relay(undefined);

async function cpuUsPer(fn, n) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const result = { plainUs: [], tracedUs: [] };
await cpuUsPer(traced, 2000); // warm-up: JIT and the exporter's connection
for (let round = 0; round < job.rounds; round++) {
  result.plainUs.push(await cpuUsPer(plain, job.requests));
  result.tracedUs.push(await cpuUsPer(traced, job.requests));
}
await telemetry.shutdown(2000);
process.stdout.write(`${JSON.stringify(result)}\n`);
