// `llmpass call` and `--jsonl` batches under OpenTelemetry, through the built CLI: their spans reach the collector
// before the process exits, and a collector that is down or never answers costs the exit at most about a second.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiLike, startFakeUpstream, type FakeServer } from '../fixtures/fake-upstream.ts';
import { baseEnv, call, deadPort } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';
import { childrenOf, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.ts';

const KEY = 'sk-otel-cli-canary-4b5c6d';
const INTERNAL = 1;
const CLIENT = 3;
const PAYLOAD = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] });

let receiver: OtlpReceiver;
let openai: FakeServer;
let dir: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  openai = await startFakeUpstream(openAiLike());
  dir = tempConfig(`model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openai.url}/v1
      api_key: ${KEY}
`);
});

afterAll(async () => {
  await Promise.all([receiver, openai].map((server) => server?.close()));
  cleanupTemp();
});

const tracedEnv = (endpoint: string) => baseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });

describe('call and batch traces', () => {
  it('a call: one INTERNAL span with the attempt under it, exported before the exit', async () => {
    const result = await call(dir, ['gpt', 'chat/completions', '--json', PAYLOAD], { env: tracedEnv(receiver.url) });
    expect(result.code, result.stderr).toBe(0);
    // Flushed before exit: the spans are there as soon as the process is gone.
    const root = receiver.spans.find((s) => s.name === 'llmpass call gpt');
    expect(root, receiver.spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(root!.kind).toBe(INTERNAL);
    const [attempt] = childrenOf(receiver.spans, root!);
    expect(attempt).toMatchObject({ kind: CLIENT, name: 'chat gpt' });
    expect(attempt!.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 1, 'gen_ai.response.model': 'gpt-4o-mini', 'http.response.status_code': 200 });
    expect(openai.requests.at(-1)!.headers.traceparent).toBe(`00-${root!.traceId}-${attempt!.spanId}-01`);
  });

  it('a batch: one parent span, a child per line, each with its attempt', async () => {
    const lines = [1, 2, 3].map((n) => JSON.stringify({ messages: [{ role: 'user', content: `line ${n}` }] })).join('\n');
    const result = await call(dir, ['gpt', 'chat/completions', '--jsonl'], { env: tracedEnv(receiver.url), input: `${lines}\n` });
    expect(result.code, result.stderr).toBe(0);
    const batch = receiver.spans.find((s) => s.name === 'llmpass batch gpt');
    expect(batch, receiver.spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(batch!.attributes['llmpass.batch.lines']).toBe(3);
    const children = childrenOf(receiver.spans, batch!);
    expect(children.map((s) => s.name).sort()).toEqual(['line 1', 'line 2', 'line 3']);
    for (const line of children) {
      const attempts = childrenOf(receiver.spans, line);
      expect(attempts.map((s) => s.kind)).toEqual([CLIENT]);
      // The line's body is read by the batch itself: its usage and first chunk still reach the attempt.
      expect(attempts[0]!.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': expect.any(Number), 'gen_ai.response.model': 'gpt-4o-mini' });
      expect(attempts[0]!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(attempts[0]!.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    }
  });

  it('a collector that is down or never answers: the call still answers, its exit at most about a second later', async () => {
    const args = ['gpt', 'chat/completions', '--json', PAYLOAD];
    const timed = async (env: NodeJS.ProcessEnv) => {
      const started = performance.now();
      const result = await call(dir, args, { env });
      return { result, ms: performance.now() - started };
    };
    // A listener that accepts and never answers: the exporter's request hangs until its deadline.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const off = await timed(baseEnv());
      const down = await timed(tracedEnv(`http://127.0.0.1:${await deadPort()}`));
      const hanging = await timed(tracedEnv(`http://127.0.0.1:${(silent.address() as { port: number }).port}`));
      for (const { result } of [off, down, hanging]) {
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout.toString()).choices[0].message.content).toContain('Hi');
      }
      // Loose bounds (a loaded machine): the goal is one second of extra exit time at most.
      expect(down.ms - off.ms).toBeLessThan(5_000);
      expect(hanging.ms - off.ms).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });
});
