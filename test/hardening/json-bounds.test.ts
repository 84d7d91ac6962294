// JSON bodies the proxy and `call` must rewrite, at the edges: nesting far past any use (refused before any costly
// work), bytes that are not UTF-8 (refused, never replaced by U+FFFD), a large body (every byte but the model's
// goes upstream as sent), and a request with two content-types (refused: judged by one, forwarded the other).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/transport/json-body.ts';
import { startFakeUpstream, status } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { call, stackLines, type CliResult } from '../support/cli.ts';
import { http, startProxyCli, stopAllProxies, type HttpAnswer, type ProxyCli, type ProxyErrorBody } from '../support/proxy.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-json-bounds-master-5e1f';
const AUTH: [string, string] = ['authorization', `Bearer ${MASTER_KEY}`];

let aliased: FakeServer; // behind the alias "lang"
let fallback: FakeServer; // VLLM_API_BASE, for bodies that name no alias
let proxy: ProxyCli;

beforeAll(async () => {
  aliased = await startFakeUpstream(status(200, {}));
  fallback = await startFakeUpstream(status(200, {}));
  // --max-json-body at its default (50mb): every body below is under it.
  proxy = await startProxyCli({
    config: `model_list:
  - model_name: lang
    litellm_params: { model: hosted_vllm/served-model, api_base: "${aliased.url}" }
`,
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: fallback.url },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([aliased, fallback].map((server) => server?.close()));
  cleanupTemp();
});

const sentUpstream = () => aliased.requests.length + fallback.requests.length;

function post(body: string | Buffer, headers: Array<[string, string]> = [['content-type', 'application/json']]): Promise<HttpAnswer> {
  // Headers as pairs (repeated names allowed) get no Host from node:http: it is given here.
  return http(`${proxy.url}/vllm/classify`, { method: 'POST', headers: [['host', new URL(proxy.url).host], AUTH, ...headers], body });
}

function expectError(answer: HttpAnswer, status: number, message: RegExp): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  const text = answer.json<ProxyErrorBody>().error.message;
  expect(text).toMatch(message);
  expect(text).not.toMatch(/\n/);
}

describe('nesting', () => {
  it(`10 MB of nested arrays (under --max-json-body) is a 400 naming the limit, nothing upstream, the proxy fine`, async () => {
    const before = sentUpstream();
    const depth = 5 * 1024 * 1024;
    for (const body of [`${'['.repeat(depth)}${']'.repeat(depth)}`, `{"model":"lang","x":${'['.repeat(depth)}${']'.repeat(depth)}}`]) {
      expectError(await post(body), 400, new RegExp(`^the body is nested too deeply \\(over ${MAX_JSON_DEPTH} levels of arrays and objects`));
    }
    expect(sentUpstream()).toBe(before);
    expect((await http(`${proxy.url}/health/liveliness`)).status).toBe(200);
  });

  it('up to the limit goes upstream', async () => {
    const body = `{"model":"lang","x":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    expect((await post(body)).status).toBe(200);
    expect(aliased.requests.at(-1)!.body.toString()).toBe(body.replace('"lang"', '"served-model"'));
  });
});

describe('UTF-8', () => {
  it('a body that must be rewritten and is not UTF-8 is a 400, never sent with U+FFFD in its place', async () => {
    const before = sentUpstream();
    const bad = Buffer.concat([Buffer.from('{"model":"lang","input":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    expectError(await post(bad), 400, /^the body is not valid JSON \(it is not UTF-8, as JSON must be\)$/);
    expect(sentUpstream()).toBe(before);
  });

  it('call refuses it on stdin and in a --data file: exit 2, one line, nothing sent', async () => {
    const server = await startFakeUpstream(status(200, {}));
    try {
      const dir = tempDir();
      const bad = Buffer.concat([Buffer.from('{"input":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
      writeFileSync(join(dir, 'bad.json'), bad);
      const expectRefused = (result: CliResult, from: string) => {
        expect(result.code, result.stderr).toBe(2);
        const lines = result.stderr.trimEnd().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(`${from} is not valid JSON (it is not UTF-8, as JSON must be)`);
        expect(stackLines(result.stderr)).toEqual([]);
      };
      const args = ['hosted_vllm/m', 'classify', '--api-base', server.url];
      expectRefused(await call(dir, args, { input: bad }), 'stdin');
      expectRefused(await call(dir, [...args, '--data', '@bad.json']), '--data @bad.json');
      expect(server.requests.length).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('a large body with its model swapped', () => {
  it('reaches the upstream byte for byte but for the model (spaces, number forms and characters across slices kept)', async () => {
    const filler = 'ünïcödé 日本 '.repeat(600_000); // about 12 MB: several of the scan's slices
    const body = `{ "input" : "${filler}",\n  "n" : 1.50e0, "model" : "lang", "tail": [ 1 , 2 ] }`;
    const expected = Buffer.from(body.replace('"model" : "lang"', '"model" : "served-model"'));
    const answer = await post(body);
    expect(answer.status).toBe(200);
    const seen = aliased.requests.at(-1)!;
    expect(seen.bodySize).toBe(expected.length);
    expect(seen.bodySha256).toBe(createHash('sha256').update(expected).digest('hex'));
  });
});

describe('two content-types', () => {
  it('that differ are a 400 in either order, nothing upstream', async () => {
    const before = sentUpstream();
    const body = '{"model":"lang","input":"hi"}';
    for (const types of [['text/plain', 'application/json'], ['application/json', 'text/plain']]) {
      expectError(await post(body, types.map((type) => ['content-type', type])), 400, /two different content-type headers: send one/);
    }
    expect(sentUpstream()).toBe(before);
  });

  it('the same one twice goes once', async () => {
    const answer = await post('{"model":"lang"}', [['content-type', 'application/json'], ['Content-Type', 'application/json']]);
    expect(answer.status).toBe(200);
    const raw = aliased.requests.at(-1)!.rawHeaders;
    expect(raw.filter((_, i) => i % 2 === 0 && raw[i]!.toLowerCase() === 'content-type')).toHaveLength(1);
  });
});
