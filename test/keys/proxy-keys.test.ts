// Virtual keys on a real proxy (SQLite store): LiteLLM's key API with a request shaped as its docs show, each
// rule on the request path (models, routes, revocation, expiry, rpm, tpm, parallel, budget and its reset), the
// model lists a key sees, the access log naming the key's alias, and a canary key appearing in no output.
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeHandler } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { until } from '../support/cli.ts';
import { startKeyedProxy } from '../support/keyed-proxy.ts';
import { http, postJson, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { expectProxyError } from '../support/proxy-error.ts';
import { expectNoSecret } from '../support/secrets.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const MASTER = 'sk-master-keys-test-5b1e0c9a';
const created: string[] = [];
let upstream: FakeServer;
const held: Array<() => void> = [];
let proxy: ProxyCli;
let stateDir: string;

// Every answer reports 100 prompt and 50 completion tokens: at the config's rates a call of `lang` costs 0.2 USD.
const answer: FakeHandler = (req, res: ServerResponse) => {
  const reply = () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150, prompt_tokens_details: { cached_tokens: 0 } } }));
  };
  if (req.path.endsWith('/hold')) held.push(reply);
  else reply();
};

beforeAll(async () => {
  upstream = await startFakeUpstream(answer);
  stateDir = tempDir();
  proxy = await startKeyedProxy({ master: MASTER, upstream, stateDir, aliases: { lang: 'input_cost_per_token: 0.001, output_cost_per_token: 0.002', other: '' } });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

const master = { authorization: `Bearer ${MASTER}` };

async function generate(body: Record<string, unknown>): Promise<{ key: string; token: string } & Record<string, unknown>> {
  const res = await postJson(`${proxy.url}/key/generate`, body, MASTER);
  expect(res.status, res.text).toBe(200);
  const json = res.json<{ key: string; token: string }>();
  created.push(json.key, json.token);
  return json;
}

const chat = (key: string, model: string, path = '/vllm/v1/chat/completions') => postJson(`${proxy.url}${path}`, { model, messages: [{ role: 'user', content: 'hi' }] }, key);

async function info(key: string): Promise<Record<string, unknown>> {
  const res = await http(`${proxy.url}/key/info?key=${encodeURIComponent(key)}`, { headers: master });
  expect(res.status, res.text).toBe(200);
  return res.json<{ info: Record<string, unknown> }>().info;
}

describe("LiteLLM's key API", () => {
  it('generates a key from the request its docs show, answers info, update, list and delete in its shapes', async () => {
    // The body of LiteLLM's "Generate Key" example.
    const made = await generate({ models: ['lang'], duration: '30d', max_budget: 100.0, tpm_limit: 100000, rpm_limit: 1000, metadata: { team: 'engineering', environment: 'production' }, key_alias: 'docs-example' });
    expect(made.key).toMatch(/^sk-/);
    expect(made).toMatchObject({ key_name: `sk-...${made.key.slice(-4)}`, models: ['lang'], max_budget: 100, tpm_limit: 100000, rpm_limit: 1000, key_alias: 'docs-example', spend: 0 });
    expect(Date.parse(String(made.expires)) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const asked = await http(`${proxy.url}/key/info?key=${made.key}`, { headers: master });
    expect(asked.json()).toMatchObject({ key: made.token, info: { key_alias: 'docs-example', models: ['lang'], metadata: { team: 'engineering' } } });

    const updated = await postJson(`${proxy.url}/key/update`, { key: made.key, models: ['lang', 'other'], max_budget: 10 }, MASTER);
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json()).toMatchObject({ models: ['lang', 'other'], max_budget: 10 });

    const list = (await http(`${proxy.url}/key/list?key_alias=docs-example`, { headers: master })).json<Record<string, unknown>>();
    expect(list).toEqual({ keys: [made.token], total_count: 1, current_page: 1, total_pages: 1 });

    const deleted = await postJson(`${proxy.url}/key/delete`, { keys: [made.key] }, MASTER);
    expect(deleted.json()).toEqual({ deleted_keys: [made.key] });
    await until(() => true);
    expectProxyError(await chat(made.key, 'lang'), 401);
  });

  it('lets a key ask /key/info about itself only, and nothing else of the API', async () => {
    const mine = await generate({ key_alias: 'self' });
    const theirs = await generate({ key_alias: 'theirs' });
    expect((await http(`${proxy.url}/key/info`, { headers: { authorization: `Bearer ${mine.key}` } })).json()).toMatchObject({ info: { key_alias: 'self' } });
    expect((await http(`${proxy.url}/key/info?key=${mine.key}`, { headers: { 'x-api-key': mine.key } })).status).toBe(200);
    expectProxyError(await http(`${proxy.url}/key/info?key=${theirs.key}`, { headers: { authorization: `Bearer ${mine.key}` } }), 401, { message: /master key/ });
    expectProxyError(await postJson(`${proxy.url}/key/generate`, {}, mine.key), 401);
    expectProxyError(await http(`${proxy.url}/key/list`, { headers: { authorization: `Bearer ${mine.key}` } }), 401);
    expectProxyError(await postJson(`${proxy.url}/key/update`, { key: mine.key, models: [] }, mine.key), 401);
  });

  it('says what was wrong with a bad request in one line', async () => {
    expectProxyError(await postJson(`${proxy.url}/key/generate`, { duration: 'soon' }, MASTER), 400, { message: /duration "soon": give a duration such as 30s/ });
    expectProxyError(await postJson(`${proxy.url}/key/generate`, { rpm_limit: 'many' }, MASTER), 400, { message: /rpm_limit/ });
    expectProxyError(await http(`${proxy.url}/key/info?key=sk-nosuchkey-0000`, { headers: master }), 404, { message: /no key sk-\.\.\.0000/ });
  });
});

describe("LiteLLM's documented requests, as its docs write them", () => {
  it('updates, blocks, unblocks, lists (paged, newest first, by key_hash) and deletes by key, hash and alias', async () => {
    const first = await generate({ key_alias: 'docs-a', team_id: 'docs-team' });
    const second = await generate({ key_alias: 'docs-b', team_id: 'docs-team' });
    const third = await generate({ key_alias: 'docs-c', team_id: 'docs-team' });

    // "Update Key": LiteLLM's example body, with fields llmpass does not keep (user_id) ignored.
    const updated = await postJson(`${proxy.url}/key/update`, { key: first.key, key_alias: 'docs-a2', user_id: 'user-1234', team_id: 'docs-team', max_budget: 100, metadata: { any_key: 'any-val' } }, MASTER);
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json()).toMatchObject({ key: first.token, key_alias: 'docs-a2', max_budget: 100, metadata: { any_key: 'any-val' } });

    // "Block Key" / "Unblock Key": {"key": "sk-..."}.
    expect((await postJson(`${proxy.url}/key/block`, { key: second.key }, MASTER)).json()).toMatchObject({ key: second.token, blocked: true });
    expectProxyError(await chat(second.key, 'lang'), 401, { message: /revoked/ });
    expect((await postJson(`${proxy.url}/key/unblock`, { key: second.token }, MASTER)).json()).toMatchObject({ blocked: false });
    expect((await chat(second.key, 'lang')).status).toBe(200);

    // "List Keys": ?page=1&size=2&return_full_object=true, newest first; total_pages is the ceiling.
    const listed = (await http(`${proxy.url}/key/list?team_id=docs-team&page=1&size=2&return_full_object=true`, { headers: master })).json<{ keys: Array<Record<string, unknown>> }>();
    expect(listed).toMatchObject({ total_count: 3, current_page: 1, total_pages: 2 });
    expect(listed.keys.map((k) => k.key_alias)).toEqual(['docs-c', 'docs-b']);
    expect((await http(`${proxy.url}/key/list?team_id=docs-team&page=2&size=2`, { headers: master })).json()).toEqual({ keys: [first.token], total_count: 3, current_page: 2, total_pages: 2 });
    expect((await http(`${proxy.url}/key/list?key_hash=${third.token}`, { headers: master })).json()).toEqual({ keys: [third.token], total_count: 1, current_page: 1, total_pages: 1 });
    expect((await http(`${proxy.url}/key/list?team_id=nobody`, { headers: master })).json()).toEqual({ keys: [], total_count: 0, current_page: 1, total_pages: 0 });
    expectProxyError(await http(`${proxy.url}/key/list?size=500`, { headers: master }), 400, { message: /size must be a whole number from 1 to 100/ });

    // "Delete Key": {"keys": [a key, a hash]}, and {"key_aliases": [...]}; the answer lists what was asked.
    expect((await postJson(`${proxy.url}/key/delete`, { keys: [first.key, second.token] }, MASTER)).json()).toEqual({ deleted_keys: [first.key, second.token] });
    expect((await postJson(`${proxy.url}/key/delete`, { key_aliases: ['docs-c'] }, MASTER)).json()).toEqual({ deleted_keys: ['docs-c'] });
    expect((await http(`${proxy.url}/key/list?team_id=docs-team`, { headers: master })).json()).toMatchObject({ total_count: 0 });
    expectProxyError(await postJson(`${proxy.url}/key/delete`, { keys: [first.key] }, MASTER), 404, { type: 'not_found_error' });
  });

  it('lets the master key set spend back to 0 with /key/update, which opens a spent budget again', async () => {
    const { key } = await generate({ max_budget: 0.1 });
    expect((await chat(key, 'lang')).status).toBe(200);
    for (let i = 0; i < 100 && Number((await info(key)).spend) < 0.2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await until(() => true);
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) status = (await chat(key, 'lang')).status;
    expect(status).toBe(400);
    expect((await postJson(`${proxy.url}/key/update`, { key, spend: 0 }, MASTER)).json()).toMatchObject({ spend: 0 });
    expect((await chat(key, 'lang')).status).toBe(200);
    expectProxyError(await postJson(`${proxy.url}/key/update`, { key, spend: -1 }, MASTER), 400, { message: /spend: expected a number of USD >= 0/ });
  });
});

describe('enforcement on the request path', () => {
  it('lets a key use its models and routes only, naming what is not allowed', async () => {
    const { key } = await generate({ key_alias: 'lang-only', models: ['lang'], allowed_routes: ['/vllm', '/v1/models', '/model/info'] });
    expect((await chat(key, 'lang')).status).toBe(200);
    expectProxyError(await chat(key, 'other'), 401, { message: /may not call model "other": it is allowed lang/ });
    expectProxyError(await chat(key, 'lang', '/custom/v1/chat/completions'), 401, { message: /may not call route \/custom\/v1\/chat\/completions/ });
    // A provider's own model (no alias) is outside the list too.
    expectProxyError(await chat(key, 'some-raw-model'), 401, { message: /"some-raw-model"/ });
  });

  it('shows a key only the aliases it may use in every model list', async () => {
    const { key } = await generate({ models: ['lang'] });
    const auth = { authorization: `Bearer ${key}` };
    expect((await http(`${proxy.url}/v1/models`, { headers: auth })).json<{ data: Array<{ id: string }> }>().data.map((m) => m.id)).toEqual(['lang']);
    expect((await http(`${proxy.url}/model/info`, { headers: auth })).json<{ data: Array<{ model_name: string }> }>().data.map((m) => m.model_name)).toEqual(['lang']);
    expect((await http(`${proxy.url}/v1/models`, { headers: master })).json<{ data: unknown[] }>().data).toHaveLength(2);
  });

  it('stops a revoked key, a deleted key and an expired key with 401', async () => {
    const { key } = await generate({ key_alias: 'to-revoke' });
    expect((await chat(key, 'lang')).status).toBe(200);
    await postJson(`${proxy.url}/key/update`, { key, blocked: true }, MASTER);
    expectProxyError(await chat(key, 'lang'), 401, { message: /revoked/ });

    const short = await generate({ duration: '1s' });
    let last = 0;
    for (let i = 0; i < 50 && last !== 401; i++) {
      last = (await chat(short.key, 'lang')).status;
      if (last !== 401) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expectProxyError(await chat(short.key, 'lang'), 401, { message: /expired/ });
  });

  it('answers 429 with Retry-After past rpm_limit, tpm_limit and max_parallel_requests', async () => {
    const rpm = await generate({ rpm_limit: 2 });
    expect((await chat(rpm.key, 'lang')).status).toBe(200);
    expect((await chat(rpm.key, 'lang')).status).toBe(200);
    const refused = await chat(rpm.key, 'lang');
    expectProxyError(refused, 429, { type: 'rate_limit_error', message: /rpm_limit \(2\)/ });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    const tpm = await generate({ tpm_limit: 100 });
    expect((await chat(tpm.key, 'lang')).status).toBe(200);
    let overTpm = await chat(tpm.key, 'lang');
    for (let i = 0; i < 50 && overTpm.status === 200; i++) overTpm = await chat(tpm.key, 'lang');
    expectProxyError(overTpm, 429, { type: 'rate_limit_error', message: /tpm_limit \(100\)/ });
    expect(Number(overTpm.headers['retry-after'])).toBeGreaterThan(0);

    const parallel = await generate({ max_parallel_requests: 1 });
    const first = chat(parallel.key, 'lang', '/vllm/hold');
    await until(() => held.length === 1);
    const second = await chat(parallel.key, 'lang');
    expectProxyError(second, 429, { message: /max_parallel_requests \(1\)/ });
    expect(second.headers['retry-after']).toBe('1');
    held.splice(0).forEach((release) => release());
    expect((await first).status).toBe(200);
    await until(() => true);
    let after = 0;
    for (let i = 0; i < 50 && after !== 200; i++) after = (await chat(parallel.key, 'lang')).status;
    expect(after).toBe(200);
  });

  it('finishes and books the call that crosses the budget, refuses the next with budget_exceeded, and resets after budget_duration', async () => {
    const { key } = await generate({ key_alias: 'budget', max_budget: 0.3, budget_duration: '2s', team_id: 'research' });
    expect((await chat(key, 'lang')).status).toBe(200);
    await until(() => true);
    // Booked asynchronously: wait until the first call's 0.2 is in, then cross the budget with the second.
    for (let i = 0; i < 50 && (await info(key)).spend !== 0.2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await chat(key, 'lang')).status).toBe(200);
    for (let i = 0; i < 50 && Number((await info(key)).spend) < 0.4; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const seen = await info(key);
    expect(seen).toMatchObject({ calls: 2, input_tokens: 200, output_tokens: 100, team_spend: { team_id: 'research', calls: 2 } });
    expect(Number(seen.spend)).toBeCloseTo(0.4);
    const refused = await chat(key, 'lang');
    expectProxyError(refused, 400, { type: 'budget_exceeded', message: /Budget has been exceeded/ });
    // After the period the spend starts again from 0.
    let status = 400;
    for (let i = 0; i < 60 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await chat(key, 'lang')).status;
    }
    expect(status).toBe(200);
  });
});

describe('seeing it', () => {
  it('names the key alias in the access log, and never a key, its hash or a long prefix in any output', async () => {
    const canary = await generate({ key_alias: 'canary-alias', models: ['lang'] });
    await chat(canary.key, 'lang');
    await chat(canary.key, 'other');
    await http(`${proxy.url}/key/info?key=${canary.key}x`, { headers: master });
    await until(() => proxy.requests().some((line) => line.key_alias === 'canary-alias' && line.status === 401));
    expect(proxy.requests().some((line) => line.key_alias === 'canary-alias' && line.status === 200)).toBe(true);
    const metrics = (await http(`${proxy.url}/metrics`)).text;
    expect(metrics).toMatch(/llmpass_key_requests_total\{key_alias="canary-alias",status="2xx"\} 1/);
    const keys = created.filter((k) => k.startsWith('sk-'));
    // A key, its hash, or more of it than the display form's last four characters.
    const secrets = [MASTER, ...created, ...keys.map((k) => k.slice(0, 12)), ...keys.map((k) => k.slice(-8))];
    expectNoSecret(proxy.stdout + proxy.stderr, secrets, 'the proxy output');
    expectNoSecret(metrics, secrets, '/metrics');
    const wrong = await chat(`${canary.key}x`, 'lang');
    expectNoSecret(wrong.text, secrets, 'an error body');
    // The database's files (SQLite and its WAL) hold each key's hash and display form only.
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const stored = files(stateDir);
    expect(stored.length).toBeGreaterThan(0);
    const bytes = stored.map((file) => readFileSync(file).toString('latin1')).join('\n');
    expect(bytes).toContain(canary.token);
    expectNoSecret(bytes, [MASTER, ...keys, ...keys.map((k) => k.slice(0, 12)), ...keys.map((k) => k.slice(-8))], 'the key store');
  });
});
