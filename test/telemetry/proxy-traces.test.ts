// The proxy under OpenTelemetry: a SERVER span per request, a CLIENT span per upstream attempt (retries and
// fallbacks as siblings with their reason), GenAI attributes, a client's traceparent continued and the attempt's
// sent upstream. Everything is read from what the official exporter sent to a recording OTLP receiver.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiLike, sequence, startFakeUpstream, status, type FakeServer } from '../fixtures/fake-upstream.ts';
import { CLAUDE_ANSWER } from '../fixtures/anthropic-like.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { http, postJson, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { childrenOf, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

const KEY = 'sk-otel-provider-canary-7f3a9b';
const MASTER = 'sk-llmpass-otel-master-1c2d3e';
const AUTH = { authorization: `Bearer ${MASTER}` };
const SERVER = 2;
const CLIENT = 3;

let receiver: OtlpReceiver;
let openai: FakeServer;
let flaky: FakeServer;
let broken: FakeServer;
let anthropic: FakeServer;
let proxy: ProxyCli;

const entry = (alias: string, base: string) => `  - model_name: ${alias}
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${base}/v1
      api_key: ${KEY}
`;

/** An entry the Router picks first (a high weight) or last (a low one). */
const weighted = (alias: string, base: string, weight: number) => `${entry(alias, base)}      weight: ${weight}
`;

async function startTracedProxy(env: Record<string, string>): Promise<ProxyCli> {
  return startProxyCli({
    config: `model_list:
${entry('gpt', openai.url)}${entry('flaky', flaky.url)}${entry('broken', broken.url)}${weighted('pair', broken.url, 1000)}${weighted('pair', openai.url, 0.001)}  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${anthropic.url}
      api_key: ${KEY}
router_settings:
  num_retries: 1
  allowed_fails: 1
  cooldown_time: 600
  fallbacks: [{ broken: [gpt] }]
`,
    env: { LLMPASS_MASTER_KEY: MASTER, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_METRIC_EXPORT_INTERVAL: '200', OTEL_SERVICE_NAME: 'llmpass-test', ...env },
  });
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  openai = await startFakeUpstream(openAiLike());
  flaky = await startFakeUpstream(sequence(status(503, { error: { message: 'overloaded' } }), openAiLike()));
  broken = await startFakeUpstream(status(503, { error: { message: 'down' } }));
  anthropic = await startFakeUpstream(status(200, CLAUDE_ANSWER));
  proxy = await startTracedProxy({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([receiver, openai, flaky, broken, anthropic].map((server) => server?.close()));
  cleanupTemp();
});

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'Hello there' }], ...extra });

/** The SERVER span whose client span talked to `alias`, with its children, once all have arrived. */
async function treeFor(traceId: string, attempts: number): Promise<{ server: ReceivedSpan; children: ReceivedSpan[] }> {
  const spans = await receiver.until((all) => all.filter((s) => s.traceId === traceId && s.kind === CLIENT).length >= attempts && all.some((s) => s.traceId === traceId && s.kind === SERVER));
  const server = spans.find((s) => s.traceId === traceId && s.kind === SERVER)!;
  return { server, children: childrenOf(spans, server) };
}

/** Each request is sent with its own traceparent, so its trace is found by id. */
let sequenceNo = 0;
function newTraceparent(): { traceId: string; header: string } {
  const traceId = (++sequenceNo).toString(16).padStart(32, 'a');
  return { traceId, header: `00-${traceId}-00f067aa0ba902b7-01` };
}

describe('proxy traces', () => {
  it('a plain call: a SERVER span continuing the client trace, one CLIENT attempt with GenAI attributes; the upstream gets the attempt traceparent', async () => {
    const { traceId, header } = newTraceparent();
    const answer = await postJson(`${proxy.url}/openai/v1/chat/completions`, chat('gpt'), MASTER, { traceparent: header, tracestate: 'vendor=abc' });
    expect(answer.status).toBe(200);
    const { server, children } = await treeFor(traceId, 1);
    expect(server.parentSpanId).toBe('00f067aa0ba902b7');
    expect(server.traceState).toBe('vendor=abc');
    expect(server.name).toBe('POST /openai');
    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200, 'http.route': '/openai', 'llmpass.alias': 'gpt' });
    expect(server.attributes['llmpass.route']).toBeUndefined(); // http.route says it once
    expect(server.resource['service.name']).toBe('llmpass-test');
    expect(children).toHaveLength(1);
    const attempt = children[0]!;
    expect(attempt.kind).toBe(CLIENT);
    expect(attempt.name).toBe('chat gpt');
    expect(attempt.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 2,
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'llmpass.deployment': expect.stringContaining('gpt'),
      'llmpass.upstream_model': 'gpt-4o-mini',
      'llmpass.attempt.reason': 'first',
    });
    expect(attempt.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(attempt.attributes['url.full']).toBe(`${openai.url}/v1/chat/completions`);
    // The upstream joins the trace as the attempt's child; the client's own traceparent is not passed on.
    const seen = openai.requests.at(-1)!.headers;
    expect(seen.traceparent).toBe(`00-${traceId}-${attempt.spanId}-01`);
    expect(seen.tracestate).toBe('vendor=abc');
    // No credential on any span.
    const text = JSON.stringify(receiver.spans.map((s) => [s.attributes, s.events, s.resource]));
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(MASTER);
    // Bodies stay off spans unless opted in.
    expect(attempt.attributes['gen_ai.input.messages']).toBeUndefined();
  });

  it('a client trace that is not sampled: no span exported, the upstream still joins it unsampled', async () => {
    const unsampled = newTraceparent();
    const answer = await postJson(`${proxy.url}/openai/v1/chat/completions`, chat('gpt'), MASTER, { traceparent: unsampled.header.replace(/-01$/, '-00') });
    expect(answer.status).toBe(200);
    const seen = openai.requests.at(-1)!.headers;
    expect(seen.traceparent).toMatch(new RegExp(`^00-${unsampled.traceId}-[0-9a-f]{16}-00$`));
    // A sampled call after it: once its spans are in, any of the first call's would be too (one queue, in order).
    const sampled = newTraceparent();
    expect((await postJson(`${proxy.url}/openai/v1/chat/completions`, chat('gpt'), MASTER, { traceparent: sampled.header })).status).toBe(200);
    await treeFor(sampled.traceId, 1);
    expect(receiver.spans.filter((span) => span.traceId === unsampled.traceId)).toEqual([]);
  });

  it('a streamed call records usage from the SSE usage event and the time to first chunk', async () => {
    const { traceId, header } = newTraceparent();
    const answer = await postJson(`${proxy.url}/openai/v1/chat/completions`, chat('gpt', { stream: true, stream_options: { include_usage: true } }), MASTER, { traceparent: header });
    expect(answer.status).toBe(200);
    const { children } = await treeFor(traceId, 1);
    const attempt = children[0]!;
    expect(attempt.attributes['gen_ai.usage.input_tokens']).toBe(2);
    expect(attempt.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(attempt.events.map((e) => e.name)).toContain('gen_ai.first_chunk');
  });

  it("another provider's answer: its usage read by that provider's own reader (Anthropic's cache tokens counted in)", async () => {
    const { traceId, header } = newTraceparent();
    const answer = await postJson(`${proxy.url}/anthropic/v1/messages`, { model: 'claude', max_tokens: 16, messages: [{ role: 'user', content: 'Hello there' }] }, MASTER, { traceparent: header });
    expect(answer.status).toBe(200);
    const { children } = await treeFor(traceId, 1);
    expect(children[0]!.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.usage.input_tokens': 115,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.cache_creation.input_tokens': 5,
    });
  });

  it('a retried call: two sibling attempts, the first failed with its status, the second saying why it happened', async () => {
    const { traceId, header } = newTraceparent();
    const answer = await postJson(`${proxy.url}/openai/v1/chat/completions`, chat('flaky'), MASTER, { traceparent: header });
    expect(answer.status).toBe(200);
    const { server, children } = await treeFor(traceId, 2);
    const attempts = children.filter((s) => s.kind === CLIENT);
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.attributes).toMatchObject({ 'error.type': '503', 'llmpass.attempt': 0, 'llmpass.attempt.reason': 'first' });
    expect(attempts[0]!.status.code).toBe(2);
    expect(attempts[1]!.attributes).toMatchObject({ 'llmpass.attempt': 1, 'llmpass.attempt.reason': 'retry after HTTP 503', 'http.response.status_code': 200 });
    expect(attempts[1]!.status.code).not.toBe(2);
    expect(server.status.code).not.toBe(2);
  });

  it('a fallback: the failed alias attempts and the fallback attempt are siblings, the last naming the fallback', async () => {
    const { traceId, header } = newTraceparent();
    const answer = await postJson(`${proxy.url}/openai/v1/chat/completions`, chat('broken'), MASTER, { traceparent: header });
    expect(answer.status).toBe(200);
    const { children } = await treeFor(traceId, 3);
    const attempts = children.filter((s) => s.kind === CLIENT);
    expect(attempts.map((s) => s.attributes['gen_ai.request.model'])).toEqual(['broken', 'broken', 'gpt']);
    expect(attempts.map((s) => s.attributes['error.type'] ?? null)).toEqual(['503', '503', null]);
    expect(attempts[2]!.attributes).toMatchObject({ 'llmpass.fallback.from': 'broken', 'llmpass.attempt.reason': 'fallback from "broken" to "gpt"' });
  });

  it('a cooldown and a skip: the failing deployment cooled as a sibling span, then skipped with its reason on the next call', async () => {
    const first = newTraceparent();
    expect((await postJson(`${proxy.url}/openai/v1/chat/completions`, chat('pair'), MASTER, { traceparent: first.header })).status).toBe(200);
    const cooled = await treeFor(first.traceId, 2);
    const cooldown = cooled.children.find((s) => s.name.startsWith('cooldown '));
    expect(cooldown?.attributes['llmpass.deployment']).toBe('pair#3');
    const second = newTraceparent();
    expect((await postJson(`${proxy.url}/openai/v1/chat/completions`, chat('pair'), MASTER, { traceparent: second.header })).status).toBe(200);
    const { children } = await treeFor(second.traceId, 1);
    const skip = children.find((s) => s.name.startsWith('skip '));
    expect(skip?.attributes).toMatchObject({ 'llmpass.deployment': 'pair#3', 'llmpass.skip.reason': 'cooling down after allowed_fails failures' });
    expect(skip!.endNs).toBe(skip!.startNs);
    expect(children.filter((s) => s.kind === CLIENT).map((s) => s.attributes['llmpass.deployment'])).toEqual(['pair#4']);
  });

  it('exports the GenAI client metrics over OTLP', async () => {
    const deadline = Date.now() + 10_000;
    const names = () => new Set(receiver.points.map((p) => p.metric));
    while (!(names().has('gen_ai.client.operation.duration') && names().has('gen_ai.client.token.usage') && names().has('gen_ai.client.operation.time_to_first_chunk')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const duration = receiver.points.find((p) => p.metric === 'gen_ai.client.operation.duration' && p.attributes['gen_ai.request.model'] === 'gpt')!;
    expect(duration).toBeDefined();
    expect(duration.unit).toBe('s');
    expect(duration.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' });
    const tokenTypes = new Set(receiver.points.filter((p) => p.metric === 'gen_ai.client.token.usage').map((p) => p.attributes['gen_ai.token.type']));
    expect(tokenTypes).toEqual(new Set(['input', 'output']));
    expect(names().has('gen_ai.client.operation.time_to_first_chunk')).toBe(true);
    expect(receiver.contentTypes.some((c) => c.startsWith('/v1/traces application/x-protobuf'))).toBe(true);
  });
});

describe('a collector that refuses the spans', () => {
  it('counts them in /metrics as llmpass_telemetry_spans_dropped_total, the calls unharmed', async () => {
    // Answers every export with 400: the exporter gives up on it at once, without retrying.
    const refusing = createServer((req, res) => {
      req.resume();
      req.once('end', () => res.writeHead(400, { 'content-type': 'text/plain' }).end('no'));
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const refused = await startTracedProxy({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}` });
      const dropped = async () => Number(/^llmpass_telemetry_spans_dropped_total (\d+)$/m.exec((await http(`${refused.url}/metrics`)).text)?.[1] ?? NaN);
      expect(await dropped()).toBe(0);
      expect((await postJson(`${refused.url}/openai/v1/chat/completions`, chat('gpt'), MASTER)).status).toBe(200);
      // Polled until the export has been refused (the batch processor exports within OTEL_BSP_SCHEDULE_DELAY).
      let count = 0;
      for (let tries = 0; tries < 2000 && count < 2; tries++) {
        count = await dropped();
        if (count < 2) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      // The call's SERVER span and its CLIENT attempt, and the spans of the scrapes themselves.
      expect(count).toBeGreaterThanOrEqual(2);
    } finally {
      // The proxy goes on exporting to it: a kept-alive export in flight would hold close() open.
      refusing.closeAllConnections();
      await new Promise((resolve) => refusing.close(resolve));
    }
  }, 60_000);
});

describe('proxy traces over http/json, bodies opted in', () => {
  it('sends OTLP/JSON and puts the request messages and the answer on the attempt span', async () => {
    const jsonReceiver = await startOtlpReceiver();
    try {
      const jsonProxy = await startTracedProxy({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${jsonReceiver.url}/v1/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' });
      const answer = await postJson(`${jsonProxy.url}/openai/v1/chat/completions`, chat('gpt'), MASTER, AUTH);
      expect(answer.status).toBe(200);
      const spans = await jsonReceiver.until((all) => all.some((s) => s.kind === CLIENT));
      expect(jsonReceiver.contentTypes.every((c) => c.includes('application/json'))).toBe(true);
      const attempt = spans.find((s) => s.kind === CLIENT)!;
      const server = spans.find((s) => s.kind === SERVER)!;
      expect(attempt.parentSpanId).toBe(server.spanId);
      expect(JSON.parse(String(attempt.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', content: 'Hello there' }]);
      expect(String(attempt.attributes['gen_ai.output.messages'])).toContain('Echo: Hello there');
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(KEY);
    } finally {
      await jsonReceiver.close();
    }
  });
});
