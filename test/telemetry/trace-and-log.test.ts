// Tracing beside the request log: the log's observer reads each answer once and tells the trace what it read, so
// a span's usage tokens are the row's own, for a held priced answer, a relayed unpriced one, a streamed one and
// another provider's. With the log off the trace reads the answer itself, to the same figures.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiLike, startFakeUpstream, status, type FakeServer } from '../fixtures/fake-upstream.ts';
import { CLAUDE_ANSWER } from '../fixtures/anthropic-like.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';
import { storedRows } from '../support/log-rows.ts';
import { postJson, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

const MASTER = 'sk-llmpass-otel-log-master-9b8a';
const CLIENT = 3;

let receiver: OtlpReceiver;
let openai: FakeServer;
let anthropic: FakeServer;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  openai = await startFakeUpstream(openAiLike({ intervalMs: 1 }));
  anthropic = await startFakeUpstream(status(200, CLAUDE_ANSWER));
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([receiver, openai, anthropic].map((server) => server?.close()));
  cleanupTemp();
});

async function startProxy(env: Record<string, string>): Promise<{ proxy: ProxyCli; db: string }> {
  const state = tempDir();
  const proxy = await startProxyCli({
    config: `model_list:
  - model_name: priced
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${openai.url}/v1", api_key: sk-a }
  - model_name: streamed
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${openai.url}/v1", api_key: sk-a }
  - model_name: unpriced
    litellm_params: { model: hosted_vllm/served-model, api_base: "${openai.url}" }
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_base: "${anthropic.url}", api_key: sk-a }
`,
    env: { LLMPASS_MASTER_KEY: MASTER, XDG_STATE_HOME: state, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', ...env },
  });
  return { proxy, db: join(state, 'llmpass', 'logs.db') };
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'Hello there, how are you' }], ...extra });

/** One call of each kind, each in its own trace; their attempt spans by alias. */
async function callEach(proxy: ProxyCli): Promise<Map<string, ReceivedSpan>> {
  const calls: Array<[string, string, unknown]> = [
    ['priced', '/openai/v1/chat/completions', chat('priced')],
    ['streamed', '/openai/v1/chat/completions', chat('streamed', { stream: true, stream_options: { include_usage: true } })],
    ['unpriced', '/vllm/v1/chat/completions', chat('unpriced')],
    ['claude', '/anthropic/v1/messages', { ...chat('claude'), max_tokens: 16 }],
  ];
  const traces = new Map<string, string>();
  for (const [alias, path, body] of calls) {
    const traceId = `${alias.length.toString(16)}${Math.random().toString(16).slice(2)}`.padEnd(32, '7').slice(0, 32);
    const answer = await postJson(`${proxy.url}${path}`, body, MASTER, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(answer.status, alias).toBe(200);
    traces.set(alias, traceId);
  }
  const ids = [...traces.values()];
  const spans = await receiver.until((all) => ids.every((id) => all.some((s) => s.traceId === id && s.kind === CLIENT)));
  return new Map([...traces].map(([alias, id]) => [alias, spans.find((s) => s.traceId === id && s.kind === CLIENT)!]));
}

/** The span's usage attributes, in the row's terms. */
const spanTokens = (span: ReceivedSpan) => ({
  input: span.attributes['gen_ai.usage.input_tokens'],
  output: span.attributes['gen_ai.usage.output_tokens'],
  cacheRead: span.attributes['gen_ai.usage.cache_read.input_tokens'],
  cacheWrite: span.attributes['gen_ai.usage.cache_creation.input_tokens'],
});

describe('tracing with the request log on', () => {
  it("puts the row's own usage tokens and the answering model on each attempt span", async () => {
    const { proxy, db } = await startProxy({});
    const spans = await callEach(proxy);
    await proxy.waitForRequests(4);
    await proxy.stop();
    const logged = await storedRows(db);
    expect(logged).toHaveLength(4);
    for (const [alias, span] of spans) {
      const row = logged.find((r) => r.alias === alias)!;
      expect(row.tokens.input, alias).toBeGreaterThan(0);
      const { reasoning: _, ...tokens } = row.tokens;
      // The span leaves out what the answer did not report; the row says undefined there.
      expect(spanTokens(span), alias).toEqual(tokens);
      expect(span.attributes['gen_ai.response.model'], alias).toBe(alias === 'claude' ? 'claude-sonnet-4-5-20250929' : alias === 'unpriced' ? 'served-model' : 'gpt-4o-mini');
    }
    expect(spanTokens(spans.get('claude')!)).toEqual({ input: 115, output: 7, cacheRead: 100, cacheWrite: 5 });
    expect(spans.get('streamed')!.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });
});

describe('tracing with the request log off', () => {
  it('reads the usage and the model itself, to the same figures', async () => {
    const { proxy } = await startProxy({ LLMPASS_LOG: 'off' });
    const spans = await callEach(proxy);
    const lines = await proxy.waitForRequests(4);
    expect(lines).toHaveLength(4);
    expect(spanTokens(spans.get('claude')!)).toEqual({ input: 115, output: 7, cacheRead: 100, cacheWrite: 5 });
    for (const alias of ['priced', 'streamed', 'unpriced']) {
      const span = spans.get(alias)!;
      expect(span.attributes['gen_ai.usage.input_tokens'], alias).toBeGreaterThan(0);
      expect(span.attributes['gen_ai.usage.output_tokens'], alias).toBeGreaterThan(0);
      expect(span.attributes['gen_ai.response.model'], alias).toBe(alias === 'unpriced' ? 'served-model' : 'gpt-4o-mini');
    }
    expect(spans.get('streamed')!.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });
});
