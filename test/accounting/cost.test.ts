// Golden costs: each provider entry's genai-prices id, a model it serves, the usage its answer reports, and the cost
// worked out by hand from the published per-million-token rates. Unknown usage and unpriced models are null, never 0.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findProvider as findPricesProvider } from '@pydantic/genai-prices';
import { costOf, priceOverrideOf } from '../../src/accounting/cost.ts';
import { usageOf, UNKNOWN_USAGE, type Usage } from '../../src/accounting/usage.ts';
import { findProvider, listProviders } from '../../src/providers/registry.ts';
import { ROOT } from '../support/cli.ts';

const perMillion = (tokens: number, rate: number): number => (tokens * rate) / 1e6;
const usage = (input: number, output: number, extra: Partial<Usage> = {}): Usage => usageOf({ input, output, ...extra });

function pricesId(llmpassId: string): string | undefined {
  return findProvider(llmpassId)!.pricesProvider;
}

describe('cost from the bundled price table', () => {
  // Prices change over time (DeepSeek's halve off-peak): every call is priced at one fixed moment.
  const golden: Array<[provider: string, model: string, usage: Usage, expected: number]> = [
    // gpt-4o: $2.50 in, $1.25 cached in, $10 out; 200 of the 1000 input tokens were cache reads.
    ['openai', 'gpt-4o', usage(1000, 500, { cacheRead: 200 }), perMillion(800, 2.5) + perMillion(200, 1.25) + perMillion(500, 10)],
    ['openai', 'text-embedding-3-small', usage(1000, 0), perMillion(1000, 0.02)],
    // Claude 3.5 Sonnet: $3 in, $0.30 cache read, $3.75 cache write, $15 out; input counts the cache tokens too.
    [
      'anthropic',
      'claude-3-5-sonnet-20241022',
      usage(1000, 500, { cacheRead: 200, cacheWrite: 100 }),
      perMillion(700, 3) + perMillion(200, 0.3) + perMillion(100, 3.75) + perMillion(500, 15),
    ],
    ['gemini', 'gemini-2.0-flash', usage(1000, 500), perMillion(1000, 0.1) + perMillion(500, 0.4)],
    ['vertex_ai', 'gemini-2.0-flash', usage(1000, 500), perMillion(1000, 0.1) + perMillion(500, 0.4)],
    ['bedrock', 'anthropic.claude-3-haiku-20240307-v1:0', usage(1000, 500), perMillion(1000, 0.25) + perMillion(500, 1.25)],
    ['azure', 'gpt-4o-mini', usage(1000, 500), perMillion(1000, 0.15) + perMillion(500, 0.6)],
    ['cohere', 'command-r-plus', usage(1000, 500), perMillion(1000, 2.5) + perMillion(500, 10)],
    ['groq', 'llama-3.3-70b-versatile', usage(1000, 500), perMillion(1000, 0.59) + perMillion(500, 0.79)],
    ['mistral', 'mistral-large-latest', usage(1000, 500), perMillion(1000, 2) + perMillion(500, 6)],
    ['deepseek', 'deepseek-chat', usage(1000, 500, { cacheRead: 400 }), perMillion(600, 0.27) + perMillion(400, 0.07) + perMillion(500, 1.1)],
  ];

  it.each(golden)('%s %s', async (provider, model, used, expected) => {
    const cost = await costOf({ pricesProvider: pricesId(provider), model, usage: used, at: new Date('2025-06-02T12:00:00Z') });
    expect(cost).toBeCloseTo(expected, 12);
  });

  it('every provider entry that names a genai-prices id names one the table has', () => {
    const named = listProviders().filter((spec) => spec.pricesProvider);
    expect(named.length).toBeGreaterThan(10);
    for (const spec of named) expect(findPricesProvider({ providerId: spec.pricesProvider! })?.id, spec.id).toBe(spec.pricesProvider);
  });
});

describe('unknown is never 0', () => {
  it('an answer without usage has no cost', async () => {
    expect(await costOf({ pricesProvider: 'openai', model: 'gpt-4o', usage: UNKNOWN_USAGE })).toBeNull();
  });

  it('an answer with input but no output count has no cost', async () => {
    expect(await costOf({ pricesProvider: 'openai', model: 'gpt-4o', usage: usageOf({ input: 10 }) })).toBeNull();
  });

  it('a model the table does not know is unpriced', async () => {
    expect(await costOf({ pricesProvider: 'openai', model: 'ft:my-own-model', usage: usage(10, 10) })).toBeNull();
  });

  it('a self-hosted server without rates is unpriced', async () => {
    expect(findProvider('hosted_vllm')!.pricesProvider).toBeUndefined();
    expect(await costOf({ pricesProvider: undefined, model: 'meta-llama/Llama-3.1-8B', usage: usage(10, 10) })).toBeNull();
  });

  it('counts that are not whole non-negative numbers are unknown', () => {
    expect(usageOf({ input: -1, output: 1.5, cacheRead: '3', reasoning: null })).toEqual(UNKNOWN_USAGE);
  });
});

describe("a deployment's own rates (LiteLLM's keys)", () => {
  it('prices a self-hosted model from litellm_params, cache rates included', async () => {
    const override = priceOverrideOf({
      input_cost_per_token: 1e-6,
      output_cost_per_token: '2e-6',
      cache_read_input_token_cost: 1e-7,
      cache_creation_input_token_cost: 1.25e-6,
    });
    expect(override).toEqual({ input: 1e-6, output: 2e-6, cacheRead: 1e-7, cacheWrite: 1.25e-6 });
    const cost = await costOf({ pricesProvider: undefined, model: 'llama', usage: usage(100, 20, { cacheRead: 40, cacheWrite: 30 }), override });
    expect(cost).toBeCloseTo(30 * 1e-6 + 40 * 1e-7 + 30 * 1.25e-6 + 20 * 2e-6, 15);
  });

  it('wins over the table, and cache tokens fall back to the input rate', async () => {
    const override = priceOverrideOf({ input_cost_per_token: 1e-6, output_cost_per_token: 3e-6 });
    const cost = await costOf({ pricesProvider: 'openai', model: 'gpt-4o', usage: usage(100, 10, { cacheRead: 50 }), override });
    expect(cost).toBeCloseTo(100 * 1e-6 + 10 * 3e-6, 15);
  });

  it('reads model_info when litellm_params sets no rate, litellm_params first when both do', () => {
    expect(priceOverrideOf({ api_base: 'http://x' }, { input_cost_per_token: 2e-6, output_cost_per_token: 4e-6 })).toEqual({ input: 2e-6, output: 4e-6 });
    expect(priceOverrideOf({ input_cost_per_token: 1e-6 }, { input_cost_per_token: 2e-6 })).toEqual({ input: 1e-6 });
    expect(priceOverrideOf({ api_base: 'http://x' }, null)).toBeUndefined();
    expect(priceOverrideOf({ input_cost_per_token: 'free' })).toBeUndefined();
  });

  it('an input-only rate prices an embedding (no output) but not a generation', async () => {
    const override = priceOverrideOf({ input_cost_per_token: 1e-7 });
    expect(await costOf({ pricesProvider: undefined, model: 'e5', usage: usage(1000, 0), override })).toBeCloseTo(1e-4, 15);
    expect(await costOf({ pricesProvider: undefined, model: 'e5', usage: usage(1000, 5), override })).toBeNull();
  });
});

describe('the price table is loaded only to price a call', () => {
  it('not on import, not for an override, only when the table is asked', () => {
    // A child Node that records every module it resolves (the table is ~800 KB of code to parse).
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
      const loaded = () => seen.some((s) => s.includes('genai-prices'));
      const { costOf } = await import(${JSON.stringify(new URL('../../src/accounting/cost.ts', import.meta.url).href)});
      const usage = { input: 10, output: 10, cacheRead: undefined, cacheWrite: undefined, reasoning: undefined };
      const onImport = loaded();
      await costOf({ pricesProvider: 'openai', model: 'x', usage, override: { input: 1e-6, output: 1e-6 } });
      const onOverride = loaded();
      await costOf({ pricesProvider: 'openai', model: 'gpt-4o', usage });
      console.log(JSON.stringify({ onImport, onOverride, onTable: loaded() }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ onImport: false, onOverride: false, onTable: true });
  });
});
