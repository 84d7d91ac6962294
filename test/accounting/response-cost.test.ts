// x-llmpass-response-cost through the real proxy: on a buffered (JSON, content-length up to 1 MiB) answer whose model
// has a price, whether or not the request log is on; never on a streamed answer, an unpriced one, one too large to
// hold or one of unknown length (their usage comes after the head). The held answer reaches the client intact.
import { afterAll, describe, expect, it } from 'vitest';
import { sseChunks, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { postJson, startProxyCli, stopAllProxies } from '../support/proxy.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';
import { fakeUpstreams } from '../support/upstreams.ts';

afterAll(async () => {
  await stopAllProxies();
  cleanupTemp();
});

const USAGE = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };
const CHAT = { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage: USAGE };
const LARGE = { ...CHAT, choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(1024 * 1024) } }] };
const STREAM = [JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' } }] }), JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } }), '[DONE]'];
const upstream = fakeUpstreams(() => status(200, CHAT));

/** The answer the request's `user` field asks for: streamed, large, chunked (no content-length), or plain. */
const handler: FakeHandler = (req, res) => {
  const body = req.json as { stream?: boolean; user?: string } | undefined;
  if (body?.stream) return sseChunks(STREAM, 1)(req, res);
  if (body?.user === 'large') return status(200, LARGE)(req, res);
  if (body?.user === 'chunked') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(JSON.stringify(CHAT).slice(0, 10));
    res.end(JSON.stringify(CHAT).slice(10));
    return;
  }
  return status(200, CHAT)(req, res);
};

async function proxy(env: Record<string, string>) {
  const { url } = await upstream(handler);
  return startProxyCli({
    config: `model_list:
  - model_name: chat
    litellm_params: { model: hosted_vllm/m, api_base: "${url}" }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
  - model_name: unpriced
    litellm_params: { model: hosted_vllm/m, api_base: "${url}" }
general_settings:
  master_key: sk-master
`,
    env: { XDG_STATE_HOME: tempDir(), ...env },
  });
}

const chat = (url: string, body: Record<string, unknown>) => postJson(`${url}/vllm/v1/chat/completions`, { messages: [], ...body }, 'sk-master');

describe('x-llmpass-response-cost', () => {
  it.each([['on'], ['off']])('is on a buffered priced answer, not a streamed, unpriced, large or chunked one (request log %s)', async (log) => {
    const { url } = await proxy({ LLMPASS_LOG: log });
    const buffered = await chat(url, { model: 'chat' });
    expect(buffered.status).toBe(200);
    expect(Number(buffered.headers['x-llmpass-response-cost'])).toBeCloseTo(0.002, 12);
    expect(buffered.json()).toEqual(CHAT);
    expect(buffered.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(CHAT))));

    const streamed = await chat(url, { model: 'chat', stream: true });
    expect(streamed.text).toContain('[DONE]');
    expect(streamed.headers).not.toHaveProperty('x-llmpass-response-cost');

    const unpriced = await chat(url, { model: 'unpriced' });
    expect(unpriced.json()).toEqual(CHAT);
    expect(unpriced.headers).not.toHaveProperty('x-llmpass-response-cost');

    const large = await chat(url, { model: 'chat', user: 'large' });
    expect(large.json()).toEqual(LARGE);
    expect(large.headers).not.toHaveProperty('x-llmpass-response-cost');

    const chunked = await chat(url, { model: 'chat', user: 'chunked' });
    expect(chunked.json()).toEqual(CHAT);
    expect(chunked.headers).not.toHaveProperty('x-llmpass-response-cost');
  });
});
