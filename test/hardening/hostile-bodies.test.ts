// Hostile bodies through `llmpass proxy`: malformed JSON, JSON that is not an object, `__proto__` and `constructor`
// keys next to a model that is swapped, bodies nested past any stack, over the limit, or under a misleading
// content-type. Each gets a clear 4xx or goes upstream untouched; none is a 500, none pollutes a prototype.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBodyOf } from '../../src/transport/json-body.ts';
import { echo, startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { exchange, type Outcome } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli, type ProxyErrorBody } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-bodies-master-c0ffee';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };

let aliased: FakeServer; // behind the alias "lang"
let fallback: FakeServer; // VLLM_API_BASE, for bodies that name no alias
let proxy: ProxyCli;

beforeAll(async () => {
  aliased = await startFakeUpstream(echo());
  fallback = await startFakeUpstream(echo());
  proxy = await startProxyCli({
    config: `router_settings:
  num_retries: 0
model_list:
  - model_name: lang
    litellm_params: { model: hosted_vllm/served-model, api_base: "${aliased.url}" }
`,
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: fallback.url },
    args: ['--max-json-body', '64kb'],
  });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([aliased, fallback].map((server) => server?.close()));
  cleanupTemp();
});

function post(body: string | Buffer, contentType = 'application/json', path = '/vllm/classify'): Promise<Outcome> {
  return exchange(`${proxy.url}${path}`, { method: 'POST', headers: { ...AUTH, 'content-type': contentType }, body });
}

function expectError(outcome: Outcome, status: number, message: RegExp): void {
  expect(outcome.status, outcome.body.toString()).toBe(status);
  const body = JSON.parse(outcome.body.toString()) as ProxyErrorBody;
  expect(body.error.message).toMatch(message);
  expect(body.error.message).not.toMatch(/\n/);
}

describe('malformed JSON', () => {
  it('is a 400 that says where, and quotes none of the body; nothing goes upstream', async () => {
    const before = aliased.requests.length + fallback.requests.length;
    for (const body of ['{"model": ', '{', '{"model":"lang"}}', 'nul', '{"a":1,}', "{'model':'lang'}", '\uFEFF{"model":"lang"}', '{"model":"lang","secret-looking-text":"sk-live', '\u0000']) {
      const outcome = await post(body);
      expectError(outcome, 400, /^the body is not valid JSON/);
      expect(outcome.body.toString()).not.toContain('secret-looking');
    }
    expect(aliased.requests.length + fallback.requests.length).toBe(before);
  });

  it('a body that is not UTF-8 under a JSON content-type is a 400 too', async () => {
    expectError(await post(Buffer.from('{"model":"lang"}', 'utf16le'), 'application/json; charset=utf-16'), 400, /not valid JSON/);
  });
});

describe('JSON that is not an object', () => {
  it('names no alias, so it goes to the provider\'s own base byte for byte', async () => {
    for (const body of ['[1,2,3]', '"a string"', '123', 'null', 'true', '[{"model":"lang"}]']) {
      const before = fallback.requests.length;
      const outcome = await post(body);
      expect(outcome.status, body).toBe(200);
      expect(fallback.requests.length).toBe(before + 1);
      expect(fallback.requests.at(-1)!.body.toString()).toBe(body);
    }
  });
});

describe('__proto__ and constructor keys', () => {
  const hostile = '{"model":"lang","__proto__":{"polluted":"yes","model":"x"},"constructor":{"prototype":{"polluted2":"yes"}},"input":"hi"}';

  it('are kept as data when the model is swapped: the upstream gets them, with the served model', async () => {
    const before = aliased.requests.length;
    const outcome = await post(hostile);
    expect(outcome.status).toBe(200);
    const sent = aliased.requests[before]!.body.toString();
    expect(sent).toBe(hostile.replace('"model":"lang"', '"model":"served-model"'));
    expect(JSON.parse(sent).model).toBe('served-model');
  });

  it('pollute nothing: the next requests see no inherited "polluted" anywhere', async () => {
    const outcome = await post('{"model":"lang","input":"clean"}');
    expect(outcome.status).toBe(200);
    const echoed = JSON.parse(outcome.body.toString()) as { json: Record<string, unknown> };
    expect(echoed.json).toEqual({ model: 'served-model', input: 'clean' });
    const error = await post('{');
    expect(error.body.toString()).not.toContain('polluted');
  });

  it('the same in the library: serialising does not touch Object.prototype', () => {
    const parsed = JSON.parse(hostile) as Record<string, unknown>;
    const text = Buffer.from(jsonBodyOf(parsed).withModel('served-model')).toString();
    expect(text).toContain('"__proto__":{"polluted":"yes"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted2).toBeUndefined();
  });

  it('a model named "__proto__", "constructor" or "toString" is no alias: 400 naming what to do, or the provider\'s base', async () => {
    for (const model of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const outcome = await post(JSON.stringify({ model, input: 'x' }));
      expect(outcome.status, model).toBe(200);
      expect(fallback.requests.at(-1)!.json).toEqual({ model, input: 'x' });
    }
  });
});

describe('bodies past the limits', () => {
  it('JSON nested far deeper than any stack, naming an alias (so it must be rewritten): 400, not a crash', async () => {
    const depth = 20_000;
    const outcome = await post(`{"model":"lang","x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expectError(outcome, 400, /nested too deeply/);
    // and the proxy is fine
    expect((await post('{"model":"lang"}')).status).toBe(200);
  });

  it('JSON over --max-json-body: 413, announced or not, nothing upstream', async () => {
    const before = aliased.requests.length + fallback.requests.length;
    const big = JSON.stringify({ model: 'lang', input: 'x'.repeat(70 * 1024) });
    expectError(await post(big), 413, /limit is 65536/);
    expect(aliased.requests.length + fallback.requests.length).toBe(before);
  });
});

describe('a content-type that does not match the body', () => {
  it('JSON sent as text/plain is not parsed: no alias is resolved, the bytes go to the provider\'s base untouched', async () => {
    const body = '{"model":"lang","input":"hi"}';
    const before = fallback.requests.length;
    const outcome = await post(body, 'text/plain');
    expect(outcome.status).toBe(200);
    expect(fallback.requests[before]!.body.toString()).toBe(body);
  });

  it('form data or bytes under a JSON content-type: 400', async () => {
    expectError(await post('model=lang&input=hi'), 400, /not valid JSON/);
    expectError(await post(Buffer.from([0xff, 0xfe, 0x00, 0x01])), 400, /not valid JSON/);
  });

  it('an empty JSON body goes upstream empty', async () => {
    const before = fallback.requests.length;
    const outcome = await post('');
    expect(outcome.status).toBe(200);
    expect(fallback.requests[before]!.bodySize).toBe(0);
  });

  it('none of the above was a 500', async () => {
    const lines = await proxy.waitForRequests(20);
    expect(lines.filter((line) => Number(line.status) >= 500)).toEqual([]);
  });
});
