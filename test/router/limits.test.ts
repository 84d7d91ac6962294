// rpm and tpm as limits in one process: a full deployment is skipped, an alias with none left is refused with
// the time until one has room, and tpm is counted from the usage answers report.
import { describe, expect, it } from 'vitest';
import { Router } from '../../src/router/router.ts';
import { RateLimitedError } from '../../src/errors.ts';
import { configFromObject } from '../../src/config/load.ts';
import { resetMidBody, sseChunks, status } from '../fixtures/fake-upstream.ts';
import { fakeUpstreams, vllmEntry } from '../support/upstreams.ts';

const upstream = fakeUpstreams(() => status(200, { ok: true }));
const entry = vllmEntry;

async function call(router: Router, model = 'm'): Promise<number> {
  const res = await router.passthrough({ model, endpoint: 'v1/chat/completions', json: { model } });
  await res.arrayBuffer();
  return res.status;
}

describe('Router rate limits', () => {
  it('sends no more than rpm calls to a deployment in a window; the rest go to the alias\'s other deployment', async () => {
    const [limited, spare] = [await upstream(), await upstream()];
    // rpm is also the weight: the limited deployment is picked first almost always, until it is full.
    const router = new Router({ modelList: [entry('m', limited.url, { rpm: 5 }), entry('m', spare.url, { weight: 0.001 })] });
    for (let i = 0; i < 20; i++) expect(await call(router)).toBe(200);
    expect(limited.requests.length).toBe(5);
    expect(spare.requests.length).toBe(15);
  });

  it('refuses a call when every deployment is full, with the seconds until a window has room', async () => {
    const [a, b] = [await upstream(), await upstream()];
    const router = new Router({ modelList: [entry('m', a.url, { rpm: 2 }), entry('m', b.url, { rpm: 1 })] });
    for (let i = 0; i < 3; i++) expect(await call(router)).toBe(200);
    const refused = await call(router).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RateLimitedError);
    const error = refused as RateLimitedError;
    expect(error.exitCode).toBe(4);
    expect(error.httpStatus).toBe(429);
    expect(error.retryAfterSeconds).toBeGreaterThan(55);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(error.message).toMatch(/alias "m": every deployment is at its rate limit \(m#[01] rpm [12], m#[01] rpm [12]\); retry in \d+ s/);
    expect(a.requests.length + b.requests.length).toBe(3);
  });

  it('a window frees as it slides (rate_limit_window_seconds)', async () => {
    const a = await upstream();
    const short = new Router({ config: configFromObject({ model_list: [entry('m', a.url, { rpm: 2 })], router_settings: { rate_limit_window_seconds: 0.3 } }) });
    expect(await call(short)).toBe(200);
    expect(await call(short)).toBe(200);
    await expect(call(short)).rejects.toThrow(/retry in 1 s/);
    await new Promise((resolve) => setTimeout(resolve, 320));
    expect(await call(short)).toBe(200);
  });

  it('counts tpm from usage.total_tokens in JSON answers and skips the deployment once the window has them', async () => {
    const a = await upstream(status(200, { choices: [], usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 } }));
    const router = new Router({ modelList: [entry('m', a.url, { tpm: 25 })] });
    for (let i = 0; i < 3; i++) expect(await call(router)).toBe(200);
    await expect(call(router)).rejects.toThrow(/m#0 tpm 25/);
    expect(a.requests.length).toBe(3);
  });

  it('counts tpm from a stream\'s usage events (OpenAI include_usage, Anthropic input + output)', async () => {
    const openai = await upstream(sseChunks([JSON.stringify({ choices: [{ delta: { content: 'hi' } }] }), JSON.stringify({ choices: [], usage: { total_tokens: 30 } }), '[DONE]'], 1));
    const anthropic = await upstream(
      sseChunks(
        [
          `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { usage: { input_tokens: 12, output_tokens: 1 } } })}`,
          `event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', usage: { output_tokens: 20 } })}`,
        ],
        1,
      ),
    );
    const router = new Router({ modelList: [entry('o', openai.url, { tpm: 31 }), entry('a', anthropic.url, { tpm: 33 })] });
    expect(await call(router, 'o')).toBe(200);
    expect(await call(router, 'o')).toBe(200);
    await expect(call(router, 'o')).rejects.toBeInstanceOf(RateLimitedError);
    expect(await call(router, 'a')).toBe(200);
    expect(await call(router, 'a')).toBe(200);
    await expect(call(router, 'a')).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('a JSON body cut short under a tpm limit still fails for the reader, and counts no tokens', async () => {
    const a = await upstream(resetMidBody(20, JSON.stringify({ usage: { total_tokens: 5 }, data: 'x'.repeat(200) })));
    const router = new Router({ modelList: [entry('m', a.url, { tpm: 5 })], numRetries: 0 });
    const res = await router.passthrough({ model: 'm', endpoint: 'v1/chat/completions', json: {} });
    await expect(res.arrayBuffer()).rejects.toThrow(/ECONNRESET/);
    expect(router.state.inFlight('m#0')).toBe(0);
    expect((await router.state.acquire('m#0', { tpm: 5 })).ok).toBe(true);
  });

  it('falls back to another alias when every deployment of the first is full', async () => {
    const [a, b] = [await upstream(), await upstream()];
    const router = new Router({ modelList: [entry('m', a.url, { rpm: 1 }), entry('other', b.url)], fallbacks: [{ m: ['other'] }] });
    expect(await call(router)).toBe(200);
    expect(await call(router)).toBe(200);
    expect(a.requests.length).toBe(1);
    expect(b.requests.length).toBe(1);
  });

  it('takes rpm from the environment (os.environ/VAR)', async () => {
    const a = await upstream();
    process.env.LLMPASS_TEST_RPM = '1';
    try {
      const router = new Router({ modelList: [entry('m', a.url, { rpm: 'os.environ/LLMPASS_TEST_RPM' })] });
      expect(await call(router)).toBe(200);
      await expect(call(router)).rejects.toBeInstanceOf(RateLimitedError);
    } finally {
      delete process.env.LLMPASS_TEST_RPM;
    }
  });
});
