// The proxy records each call in the request log (metadata only unless the config opts in to bodies), with the
// tokens and cost of buffered and streamed answers; /metrics counts them by alias and deployment, the access log
// line carries them, and /health/readiness tells a keyed caller the writer's state.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sseChunks, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { http, postJson, startProxyCli, stopAllProxies } from '../support/proxy.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';
import { storedRows } from '../support/log-rows.ts';
import { fakeUpstreams } from '../support/upstreams.ts';

afterAll(async () => {
  await stopAllProxies();
  cleanupTemp();
});

const CHAT = { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } };
const STREAM = [JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' } }] }), JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } }), '[DONE]'];
const upstream = fakeUpstreams(() => status(200, CHAT));

const handler: FakeHandler = (req, res) => (req.json as { stream?: boolean } | undefined)?.stream ? sseChunks(STREAM, 1)(req, res) : status(200, CHAT)(req, res);

const rows = storedRows;

async function proxyWith(general: string, env: Record<string, string> = {}) {
  const { url } = await upstream(handler);
  const state = tempDir();
  const proxy = await startProxyCli({
    config: `model_list:
  - model_name: chat
    litellm_params: { model: hosted_vllm/m, api_base: "${url}" }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
general_settings:
  master_key: sk-master
${general}`,
    env: { XDG_STATE_HOME: state, ...env },
  });
  return { proxy, db: join(state, 'llmpass', 'logs.db') };
}

describe('the proxy logs its calls', () => {
  it('by default, unless LLMPASS_LOG=off: with it the proxy writes nothing', async () => {
    const { proxy, db } = await proxyWith('', { LLMPASS_LOG: 'off' });
    await postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'chat', messages: [] }, 'sk-master');
    await proxy.waitForRequests(1);
    expect((await http(`${proxy.url}/health/readiness`, { headers: { authorization: 'Bearer sk-master' } })).json()).not.toHaveProperty('request_log');
    await proxy.stop();
    const { existsSync } = await import('node:fs');
    expect(existsSync(db)).toBe(false);
  });


  it('buffered and streamed: rows with tokens and cost, metadata only; metrics, access log and readiness say so', async () => {
    const { proxy, db } = await proxyWith('');
    expect((await postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'chat', messages: [] }, 'sk-master')).json()).toEqual(CHAT);
    const streamed = await postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'chat', stream: true, messages: [] }, 'sk-master');
    expect(streamed.text).toContain('[DONE]');
    const lines = await proxy.waitForRequests(2);
    expect(lines.map((line) => [line.tokens_in, line.tokens_out, line.cost])).toEqual([[1000, 500, 0.002], [7, 3, expect.closeTo(0.000013, 12)]]);
    const metrics = (await http(`${proxy.url}/metrics`)).text;
    expect(metrics).toContain('llmpass_tokens_total{alias="chat",deployment="chat#0",kind="input"} 1007');
    expect(metrics).toMatch(/llmpass_cost_usd_total\{alias="chat",deployment="chat#0"\} 0\.00201/);
    const ready = (await http(`${proxy.url}/health/readiness`, { headers: { authorization: 'Bearer sk-master' } })).json<{ request_log: { state: string } }>();
    expect(ready.request_log.state).toMatch(/idle|ok/);
    expect((await http(`${proxy.url}/health/readiness`)).json()).not.toHaveProperty('request_log');
    await proxy.stop();
    const logged = await rows(db);
    expect(logged.map((row) => [row.face, row.alias, row.status, row.tokens.input, row.tokens.output, row.cost])).toEqual([
      ['proxy', 'chat', 200, 7, 3, expect.closeTo(0.000013, 12)],
      ['proxy', 'chat', 200, 1000, 500, expect.closeTo(0.002, 12)],
    ]);
    expect(logged.every((row) => row.requestBody === null && row.responseBody === null && row.requestHeaders === null)).toBe(true);
  });

  it('stopped right after its answers, it still prints every access line and writes every row', async () => {
    const { proxy, db } = await proxyWith('');
    const answers = await Promise.all(Array.from({ length: 20 }, () => postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'chat', messages: [] }, 'sk-master')));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // No wait for the access lines: the shutdown itself must let the last ones out.
    const exit = await proxy.stop();
    expect(exit.code).toBe(0);
    expect(proxy.requests().filter((line) => line.tokens_in === 1000)).toHaveLength(20);
    expect(await rows(db)).toHaveLength(20);
  });

  it('store_prompts_in_spend_logs keeps the bodies, headers masked; disable_spend_logs writes nothing', async () => {
    const { proxy, db } = await proxyWith('  store_prompts_in_spend_logs: true\n');
    await postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'chat', messages: [] }, 'sk-master');
    await proxy.waitForRequests(1);
    await proxy.stop();
    const [row] = await rows(db);
    expect(JSON.parse(Buffer.from(row!.requestBody!).toString())).toEqual({ model: 'chat', messages: [] });
    expect(JSON.parse(Buffer.from(row!.responseBody!).toString())).toEqual(CHAT);
    expect(JSON.stringify(row!.requestHeaders)).not.toContain('sk-master');

    const off = await proxyWith('  disable_spend_logs: true\n');
    await postJson(`${off.proxy.url}/vllm/v1/chat/completions`, { model: 'chat', messages: [] }, 'sk-master');
    await off.proxy.waitForRequests(1);
    await off.proxy.stop();
    const { existsSync } = await import('node:fs');
    expect(existsSync(off.db)).toBe(false);
  });
});
