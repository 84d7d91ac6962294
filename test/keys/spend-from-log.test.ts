// A key's spend is booked from the request log's own observation of the call (one usage reading, priced as the
// row is): with the log on, its rows name the key's alias and /key/info shows the rows' cost and tokens, once each;
// a buffered answer carries the same cost in x-llmpass-response-cost. With the log off, test/keys/proxy-keys.test.ts
// books the same way without rows.
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openLogStore } from '../../src/accounting/log/open.ts';
import { sseChunks, startFakeUpstream, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { startKeyedProxy } from '../support/keyed-proxy.ts';
import { http, postJson, stopAllProxies } from '../support/proxy.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const MASTER = 'sk-master-spend-test-0c41';
const CHAT = { id: 'c', object: 'chat.completion', choices: [], usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 } };
const STREAM = [JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' } }] }), JSON.stringify({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 5 } }), '[DONE]'];
const answer: FakeHandler = (req, res) => ((req.json as { stream?: boolean }).stream ? sseChunks(STREAM, 1)(req, res) : status(200, CHAT)(req, res));

afterAll(async () => {
  await stopAllProxies();
  cleanupTemp();
});

it('books a keyed call from its row: the row names the key, /key/info shows the rows\' cost and tokens once', async () => {
  const upstream = await startFakeUpstream(answer);
  const state = join(tempDir(), 'state');
  const proxy = await startKeyedProxy({ master: MASTER, upstream, stateDir: state, aliases: { lang: 'input_cost_per_token: 0.001, output_cost_per_token: 0.002' }, env: { LLMPASS_LOG: 'on' } });
  try {
    const made = (await postJson(`${proxy.url}/key/generate`, { key_alias: 'team-a' }, MASTER)).json<{ key: string }>();
    const buffered = await postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'lang', messages: [] }, made.key);
    expect(buffered.json()).toEqual(CHAT);
    expect(Number(buffered.headers['x-llmpass-response-cost'])).toBeCloseTo(0.2, 10);
    const streamed = await postJson(`${proxy.url}/vllm/v1/chat/completions`, { model: 'lang', stream: true, messages: [] }, made.key);
    expect(streamed.text).toContain('[DONE]');
    await proxy.waitForRequests(3);
    const info = async () => (await http(`${proxy.url}/key/info?key=${made.key}`, { headers: { authorization: `Bearer ${MASTER}` } })).json<{ info: Record<string, unknown> }>().info;
    for (let i = 0; i < 100 && (await info()).calls !== 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const seen = await info();
    expect(seen).toMatchObject({ calls: 2, input_tokens: 110, output_tokens: 55 });
    expect(Number(seen.spend)).toBeCloseTo(0.22, 10);
    const metrics = (await http(`${proxy.url}/metrics`)).text;
    expect(metrics).toContain('llmpass_key_tokens_total{key_alias="team-a",kind="input"} 110');
    await proxy.stop();
    const store = await openLogStore(join(state, 'llmpass', 'logs.db'));
    const rows = (await store.list({})).filter((row) => row.alias === 'lang');
    await store.close();
    expect(rows.map((row) => [row.keyAlias, row.tokens.input, row.tokens.output, row.bytesIn])).toEqual([
      ['team-a', 10, 5, JSON.stringify({ model: 'lang', stream: true, messages: [] }).length],
      ['team-a', 100, 50, JSON.stringify({ model: 'lang', messages: [] }).length],
    ]);
    expect(rows.reduce((sum, row) => sum + row.cost!, 0)).toBeCloseTo(Number(seen.spend), 10);
  } finally {
    await upstream.close();
  }
});
