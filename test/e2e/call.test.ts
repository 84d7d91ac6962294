// `llmpass call` end to end: the built CLI spawned as a user runs it, against the fake upstreams on loopback.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anthropicLike, echo, hang, openAiLike, resetBeforeHeaders, resetMidBody, sequence, slowChunks, sseChunks, startFakeUpstream, status,
  type FakeHandler, type FakeServer,
} from '../fixtures/fake-upstream.ts';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import {
  assertBuilt, baseEnv, BIN, call, deadPort, runCli, runShell, SCRIPT, shellQuote, spawnCli, stackLines, until, type CliResult,
} from '../support/cli.ts';
import { startTapProxy, type TapProxy } from '../support/tap-proxy.ts';
import { cleanupTemp, tempConfig, tempDir, writeFiles } from '../support/tmp.ts';

const SERVED = DEFAULT_SERVED_MODEL; // papluca/xlm-roberta-base-language-detection
const SEED_ALIAS = 'roberta-base-language-detection';
const VLLM_KEY = 'sk-vllm-e2e-key-0001';
const OPENAI_KEY = 'sk-openai-e2e-key-0002';
const ANTHROPIC_KEY = 'sk-ant-e2e-key-0003';

const servers: Array<{ close(): Promise<void> }> = [];
let vllm: FakeServer;
let vllmKeyed: FakeServer;
let upstream: FakeServer; // echo()
let openai: FakeServer;
let anthropic: FakeServer;
let seedTap: TapProxy;
let project: string;

async function fake(handler?: FakeHandler): Promise<FakeServer> {
  const server = await startFakeUpstream(handler);
  servers.push(server);
  return server;
}

function json(result: CliResult): Record<string, unknown> {
  return JSON.parse(result.stdout.toString('utf8')) as Record<string, unknown>;
}

/** What the echo() fake saw, as it answered it. */
interface Echoed {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  json: Record<string, unknown> | null;
}
const echoed = (result: CliResult) => json(result) as unknown as Echoed;

function expectOk(result: CliResult): void {
  expect(result.stderr, 'stderr').toBe('');
  expect(result.code, result.stderr).toBe(0);
}

/** One error line on stderr, `llmpass: ...`, and no stack trace. */
function expectOneLineError(result: CliResult, pattern?: RegExp): string {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^llmpass: \S/);
  expect(stackLines(result.stderr)).toEqual([]);
  if (pattern) expect(lines[0]).toMatch(pattern);
  return lines[0]!;
}

beforeAll(async () => {
  assertBuilt();
  vllm = await startVllmServer();
  vllmKeyed = await startVllmServer({ apiKey: VLLM_KEY });
  upstream = await fake(echo());
  openai = await fake(openAiLike({ apiKey: OPENAI_KEY }));
  anthropic = await fake(anthropicLike({ apiKey: ANTHROPIC_KEY }));
  seedTap = await startTapProxy(vllm.url);
  servers.push(vllm, vllmKeyed, seedTap);
  project = tempConfig(`# the seed's LiteLLM-style config, plus a few more deployments
model_list:
  - model_name: ${SEED_ALIAS}
    litellm_params:
      model: hosted_vllm/${SERVED}
      api_base: ${seedTap.url}/v1
  - model_name: roberta-no-v1
    litellm_params:
      model: hosted_vllm/${SERVED}
      api_base: ${vllm.url}
  - model_name: roberta-v1-slash
    litellm_params:
      model: hosted_vllm/${SERVED}
      api_base: ${vllm.url}/v1/
  - model_name: wrong-model
    litellm_params:
      model: hosted_vllm/some-other-model
      api_base: ${vllm.url}
  - model_name: keyed-vllm
    litellm_params:
      model: hosted_vllm/${SERVED}
      api_base: ${vllmKeyed.url}/v1
      api_key: os.environ/MY_VLLM_KEY
  - model_name: echo
    litellm_params:
      model: hosted_vllm/echo-model
      api_base: ${upstream.url}
  - model_name: echo-gateway
    litellm_params:
      model: hosted_vllm/echo-model
      api_base: ${upstream.url}/gw/team-a/v1
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openai.url}/v1
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${anthropic.url}
router_settings:
  num_retries: 0
`);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  cleanupTemp();
});

describe('the seed: roberta-base-language-detection classify', () => {
  it('--json: exit 0, stdout is the upstream\'s bytes exactly, and the upstream got POST /classify with the upstream model', async () => {
    const before = vllm.requests.length;
    const relayed = seedTap.responses.length;
    const result = await call(project, [SEED_ALIAS, 'classify', '--json', '{"model":"roberta-base-language-detection","input":"Hello, world!"}']);
    expectOk(result);
    const sent = seedTap.responses.slice(relayed);
    expect(sent).toHaveLength(1);
    expect(result.stdout.equals(sent[0]!)).toBe(true);
    const received = vllm.requests.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', path: '/classify' });
    expect(received[0]!.json).toEqual({ model: SERVED, input: 'Hello, world!' });
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect((json(result).data as Array<{ label: string }>)[0]!.label).toBe('en');
  });

  it('stdin: echo \'{"input":"Hello, world!"}\' | llmpass call ... classify, then .data[0].label is en', async () => {
    const before = vllm.requests.length;
    const result = await call(project, [SEED_ALIAS, 'classify'], { input: '{"input":"Hello, world!"}\n' });
    expectOk(result);
    expect((json(result).data as Array<{ label: string }>)[0]!.label).toBe('en');
    expect(vllm.requests.slice(before).map((r) => [r.method, r.path, r.json])).toEqual([['POST', '/classify', { model: SERVED, input: 'Hello, world!' }]]);
    expect(result.stdout.equals(seedTap.responses.at(-1)!)).toBe(true);
  });
});

describe('api bases', () => {
  for (const alias of [SEED_ALIAS, 'roberta-no-v1', 'roberta-v1-slash']) {
    it(`${alias}: reaches /classify and /v1/chat/completions`, async () => {
      const before = vllm.requests.length;
      const classify = await call(project, [alias, 'classify', '--json', '{"input":"Bonjour tout le monde, comment allez-vous ?"}']);
      expectOk(classify);
      expect((json(classify).data as Array<{ label: string }>)[0]!.label).toBe('fr');
      const chat = await call(project, [alias, 'v1/chat/completions', '--json', '{"model":"x","messages":[{"role":"user","content":"Hello there"}]}']);
      expectOk(chat);
      expect(json(chat)).toMatchObject({ object: 'chat.completion', model: SERVED });
      expect(vllm.requests.slice(before).map((r) => r.path)).toEqual(['/classify', '/v1/chat/completions']);
    });
  }

  it('a path-prefixed gateway base keeps its prefix (vLLM strips only the trailing /v1)', async () => {
    const classify = echoed(await call(project, ['echo-gateway', 'classify', '--json', '{}']));
    expect(classify.path).toBe('/gw/team-a/classify');
    const chat = echoed(await call(project, ['echo-gateway', 'v1/chat/completions', '--json', '{}']));
    expect(chat.path).toBe('/gw/team-a/v1/chat/completions');
    const openaiGateway = echoed(await call(tempDir(), ['openai/gpt-4o-mini', 'chat/completions', '--api-base', `${upstream.url}/proxy/openai/v1`, '--json', '{}']));
    expect(openaiGateway.path).toBe('/proxy/openai/v1/chat/completions');
    expect(openaiGateway.json).toEqual({ model: 'gpt-4o-mini' });
  });

  it('provider/model directly, with --api-base', async () => {
    const before = vllm.requests.length;
    const result = await call(tempDir(), [`hosted_vllm/${SERVED}`, 'classify', '--api-base', vllm.url, '--json', '{"input":"Hello, world!"}']);
    expectOk(result);
    expect((json(result).data as Array<{ label: string }>)[0]!.label).toBe('en');
    expect(vllm.requests.slice(before).map((r) => [r.path, r.json])).toEqual([['/classify', { model: SERVED, input: 'Hello, world!' }]]);
  });

  it('provider/model directly, with HOSTED_VLLM_API_BASE in the environment', async () => {
    const before = vllm.requests.length;
    const env = baseEnv({ HOSTED_VLLM_API_BASE: `${vllm.url}/v1` });
    const result = await call(tempDir(), [`hosted_vllm/${SERVED}`, 'v1/chat/completions', '--json', '{"messages":[{"role":"user","content":"hi"}]}'], { env });
    expectOk(result);
    expect(vllm.requests.slice(before).map((r) => r.path)).toEqual(['/v1/chat/completions']);
    // The vllm/ alias of the provider too.
    const viaAlias = await call(tempDir(), [`vllm/${SERVED}`, 'classify', '--json', '{"input":"hi"}'], { env });
    expectOk(viaAlias);
  });

  it('provider/model with no api base anywhere is a usage error naming the variables to set', async () => {
    const result = await call(tempDir(), [`hosted_vllm/${SERVED}`, 'classify', '--json', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /no api base.*HOSTED_VLLM_API_BASE/);
  });
});

describe('credentials', () => {
  it('vLLM: the key from os.environ/VAR goes as Authorization: Bearer', async () => {
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'v1/chat/completions', '--json', '{"messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ MY_VLLM_KEY: VLLM_KEY }),
    });
    expectOk(result);
    const [request] = vllmKeyed.requests.slice(before);
    expect(request!.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
    expect(request!.headers['x-api-key']).toBeUndefined();
  });

  it('vLLM: a missing os.environ/VAR is exit 2 naming the variable and the alias, and nothing is sent', async () => {
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'classify', '--json', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /MY_VLLM_KEY.*keyed-vllm|keyed-vllm.*MY_VLLM_KEY/);
    expect(vllmKeyed.requests.length).toBe(before);
  });

  it('OpenAI-like: Bearer, chat/completions joined under /v1, model swapped', async () => {
    const before = openai.requests.length;
    const result = await call(project, ['gpt', 'chat/completions', '--json', '{"model":"gpt","messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ OPENAI_API_KEY: OPENAI_KEY }),
    });
    expectOk(result);
    expect(json(result)).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-mini' });
    const [request] = openai.requests.slice(before);
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect((request!.json as { model: string }).model).toBe('gpt-4o-mini');
  });

  it('Anthropic-like: x-api-key and anthropic-version 2023-06-01, no Authorization', async () => {
    const before = anthropic.requests.length;
    const result = await call(project, ['claude', 'v1/messages', '--json', '{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ ANTHROPIC_API_KEY: ANTHROPIC_KEY }),
    });
    expectOk(result);
    expect(json(result)).toMatchObject({ type: 'message', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Echo: hi' }] });
    const [request] = anthropic.requests.slice(before);
    expect(request!.path).toBe('/v1/messages');
    expect(request!.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(request!.headers['anthropic-version']).toBe('2023-06-01');
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('Anthropic-like: a caller\'s --header anthropic-version overrides the default', async () => {
    const before = anthropic.requests.length;
    const result = await call(project, ['claude', 'v1/messages', '--header', 'anthropic-version: 2099-01-01', '--json', '{"messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ ANTHROPIC_API_KEY: ANTHROPIC_KEY }),
    });
    expectOk(result);
    const [request] = anthropic.requests.slice(before);
    expect(request!.headers['anthropic-version']).toBe('2099-01-01');
    expect(request!.rawHeaders.filter((name) => name.toLowerCase() === 'anthropic-version')).toHaveLength(1);
  });

  it('--dotenv loads the key from a dotenv file', async () => {
    const dir = writeFiles(tempDir(), { 'keys.env': `# provider keys\nMY_VLLM_KEY=${VLLM_KEY}\n` });
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'v1/chat/completions', '--dotenv', join(dir, 'keys.env'), '--json', '{"messages":[{"role":"user","content":"hi"}]}']);
    expectOk(result);
    expect(vllmKeyed.requests.slice(before)[0]!.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
  });

  // The flag was --env-file, which Node itself reads wherever it stands (exit 9, its own message): --dotenv is ours.
  it('--dotenv with a missing file is one llmpass line, exit 2, before anything is sent', async () => {
    const before = vllmKeyed.requests.length;
    const path = join(tempDir(), 'nope.env');
    const missing = await call(project, ['keyed-vllm', 'classify', '--dotenv', path, '--json', '{}']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`llmpass: --dotenv ${path}: no such file\n`);
    expect(vllmKeyed.requests.length).toBe(before);
  });

  // resolveEntry (src/router/deployment.ts) resolves the config's `api_key: os.environ/VAR` before looking at
  // the --api-key override, so an unset variable fails a call that would not use it (api_base is lazy).
  it('--api-key overrides a config key whose os.environ/VAR is unset', async () => {
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'v1/chat/completions', '--api-key', VLLM_KEY, '--json', '{"messages":[{"role":"user","content":"hi"}]}']);
    expectOk(result);
    expect(vllmKeyed.requests.slice(before)[0]!.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
  });
});

describe('request flags', () => {
  it('swaps the body\'s model by default, and --no-swap leaves the body alone', async () => {
    const swapped = echoed(await call(project, ['echo', 'classify', '--json', '{"model":"echo","input":"x"}']));
    expect(swapped.json).toEqual({ model: 'echo-model', input: 'x' });
    const kept = echoed(await call(project, ['echo', 'classify', '--no-swap', '--json', '{"model":"echo","input":"x"}']));
    expect(kept.json).toEqual({ model: 'echo', input: 'x' });
    const none = echoed(await call(project, ['echo', 'classify', '--no-swap', '--json', '{"input":"x"}']));
    expect(none.json).toEqual({ input: 'x' });
  });

  it('--query k=v is appended after the endpoint\'s own query, repeated keys kept', async () => {
    const before = upstream.requests.length;
    const result = echoed(await call(project, ['echo', 'score?x=0', '--query', 'a=1', '-q', 'a=2', '--query', 'b=c d', '--query', 'e=']));
    expect(result.query).toEqual({ x: '0', a: ['1', '2'], b: 'c d', e: '' });
    expect(upstream.requests[before]!.url).toBe('/score?x=0&a=1&a=2&b=c+d&e=');
  });

  it('--method sets the method (in any case)', async () => {
    expect(echoed(await call(project, ['echo', 'things', '--method', 'PUT', '--json', '{"a":1}']))).toMatchObject({ method: 'PUT', json: { model: 'echo-model', a: 1 } });
    expect(echoed(await call(project, ['echo', 'things/1', '-X', 'delete']))).toMatchObject({ method: 'DELETE', path: '/things/1' });
    const bad = await call(project, ['echo', 'things', '-X', 'GE T']);
    expect(bad.code).toBe(2);
    expectOneLineError(bad, /not an HTTP method/);
  });

  it('GET without a body when there is no payload (stdin empty)', async () => {
    const before = upstream.requests.length;
    const result = echoed(await call(project, ['echo', 'v1/models']));
    expect(result).toMatchObject({ method: 'GET', path: '/v1/models', json: null });
    const request = upstream.requests[before]!;
    expect(request.bodySize).toBe(0);
    expect(request.headers['content-type']).toBeUndefined();
    expect(request.headers['transfer-encoding']).toBeUndefined();
  });

  it('--header is repeatable; hop-by-hop headers from the caller are dropped', async () => {
    const result = echoed(await call(project, ['echo', 'x', '-H', 'x-one: 1', '--header', 'X-Two:  two words ', '-H', 'host: evil.example', '--json', '{}']));
    expect(result.headers['x-one']).toBe('1');
    expect(result.headers['x-two']).toBe('two words');
    expect(result.headers.host).toBe(new URL(upstream.url).host);
    const bad = await call(project, ['echo', 'x', '-H', 'no-colon-here']);
    expect(bad.code).toBe(2);
    expectOneLineError(bad, /--header "no-colon-here": expected 'Name: value'/);
  });

  it('an endpoint that is a URL or climbs above the base is refused before sending', async () => {
    const before = upstream.requests.length;
    for (const endpoint of ['http://evil.example/x', '//evil.example/x', '../x', '%2e%2e/x']) {
      const result = await call(project, ['echo', endpoint, '--json', '{}']);
      expect(result.code, endpoint).toBe(2);
      expectOneLineError(result);
    }
    expect(upstream.requests.length).toBe(before);
  });
});

describe('payloads', () => {
  it('--data STRING is JSON by default, its model swapped', async () => {
    const result = echoed(await call(project, ['echo', 'classify', '--data', '{"model":"echo","input":"hi"}']));
    expect(result.json).toEqual({ model: 'echo-model', input: 'hi' });
    expect(result.headers['content-type']).toBe('application/json');
  });

  it('--data @file.json reads the file (relative to the working directory)', async () => {
    const dir = writeFiles(tempDir(), { 'payload.json': '{\n  "input": "from a file"\n}\n', 'llmpass.config.yaml': readFileSync(join(project, 'llmpass.config.yaml')) });
    const result = echoed(await call(dir, ['echo', 'classify', '--data', '@payload.json']));
    expect(result.json).toEqual({ model: 'echo-model', input: 'from a file' });
    const missing = await call(dir, ['echo', 'classify', '--data', '@missing.json']);
    expect(missing.code).toBe(2);
    expectOneLineError(missing, /missing\.json/);
  });

  it('--data - reads stdin', async () => {
    const result = echoed(await call(project, ['echo', 'classify', '--data', '-'], { input: '{"input":"from stdin"}' }));
    expect(result.json).toEqual({ model: 'echo-model', input: 'from stdin' });
  });

  it('--data with a non-JSON content-type is sent as is', async () => {
    const before = upstream.requests.length;
    const result = echoed(await call(project, ['echo', 'x', '--data', '{"model":"echo", not json', '-H', 'content-type: text/plain']));
    expect(result.headers['content-type']).toBe('text/plain');
    expect(upstream.requests[before]!.body.toString()).toBe('{"model":"echo", not json');
  });

  it('--form fields and a file upload reach /v1/audio/transcriptions as multipart', async () => {
    const audio = randomBytes(300_000);
    const dir = writeFiles(tempDir(), { 'clip.wav': audio });
    const before = vllm.requests.length;
    const result = await call(dir, [`hosted_vllm/${SERVED}`, 'v1/audio/transcriptions', '--api-base', vllm.url,
      '--form', 'file=@clip.wav;type=audio/wav', '-F', `model=${SERVED}`, '--form', 'language=en']);
    expectOk(result);
    expect(json(result)).toEqual({ text: `Fake transcription of clip.wav (${audio.length} bytes).`, bytes: audio.length, language: 'en' });
    const request = vllm.requests[before]!;
    expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(request.body.includes(audio)).toBe(true);
    expect(request.body.toString('latin1')).toContain('Content-Type: audio/wav');

    const text = await call(dir, [`hosted_vllm/${SERVED}`, 'v1/audio/transcriptions', '--api-base', vllm.url, '--form', 'file=@clip.wav', '--form', 'response_format=text']);
    expectOk(text);
    expect(text.stdout.toString()).toBe(`Fake transcription of clip.wav (${audio.length} bytes).`);
  });

  it('a raw binary body: --header content-type: application/octet-stream --data @file', async () => {
    const blob = Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x0d, 0x0a, 0x80]), randomBytes(70_000)]);
    const dir = writeFiles(tempDir(), { 'blob.bin': blob });
    const before = upstream.requests.length;
    const result = await call(dir, ['hosted_vllm/m', 'blob', '--api-base', upstream.url, '--header', 'content-type: application/octet-stream', '--data', '@blob.bin']);
    expectOk(result);
    const request = upstream.requests[before]!;
    expect(request.headers['content-type']).toBe('application/octet-stream');
    expect(request.body.equals(blob)).toBe(true);
  });

  it('a file body goes with its content-length (not chunked), and the dry run shows its size', async () => {
    const blob = randomBytes(5_000);
    const dir = writeFiles(tempDir(), { 'blob.bin': blob });
    const args = ['hosted_vllm/m', 'blob', '--api-base', upstream.url, '-H', 'content-type: application/octet-stream', '--data', '@blob.bin'];
    const before = upstream.requests.length;
    expectOk(await call(dir, args));
    expect(upstream.requests[before]!.headers['content-length']).toBe(String(blob.length));
    expect(upstream.requests[before]!.headers['transfer-encoding']).toBeUndefined();
    expect(upstream.requests[before]!.body.equals(blob)).toBe(true);
    const dry = await call(dir, [...args, '--dry-run']);
    expect(dry.stdout.toString()).toContain(`${blob.length} bytes`);
  });

  it('a raw body from stdin (--data - or bare stdin) with a non-JSON content-type is sent byte for byte', async () => {
    const blob = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0, 0xff]), randomBytes(200_000)]);
    for (const args of [['--data', '-'], []]) {
      const before = upstream.requests.length;
      const result = await call(tempDir(), ['hosted_vllm/m', 'blob', '--api-base', upstream.url, '-H', 'content-type: application/octet-stream', ...args], { input: blob });
      expectOk(result);
      expect(upstream.requests[before]!.body.equals(blob), args.join(' ') || 'bare stdin').toBe(true);
    }
  });

  it('two payloads at once are a usage error', async () => {
    const result = await call(project, ['echo', 'x', '--json', '{}', '--data', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /give one payload/);
  });
});

describe('large uploads stream', () => {
  const MiB = 1024 * 1024;

  it('50 MiB --data @big.bin with application/octet-stream: the upstream gets every byte (size and sha256)', async () => {
    const big = randomBytes(50 * MiB);
    const dir = writeFiles(tempDir(), { 'big.bin': big });
    const before = vllm.requests.length;
    const result = await call(dir, [`hosted_vllm/${SERVED}`, 'v1/upload-sink', '--api-base', vllm.url, '--data', '@big.bin', '--header', 'content-type: application/octet-stream']);
    expectOk(result);
    const sha256 = createHash('sha256').update(big).digest('hex');
    expect(json(result)).toEqual({ bytes: big.length, sha256 });
    expect(vllm.requests[before]).toMatchObject({ bodySize: big.length, bodySha256: sha256 });
  });

  it('the CLI\'s peak RSS stays far below the size of what it uploads', async () => {
    // V8 frees the read buffers of a stream only at a full GC, which it first runs after ~64 MiB of external
    // memory: peak RSS grows with an upload up to about that much whether it streams or not, so a 50 MiB
    // upload cannot tell them apart. A 192 MiB file can: streaming stays near +50-60 MiB, buffering would be
    // +192 MiB or more.
    const dir = tempDir();
    const small = join(dir, 'small.bin');
    const huge = join(dir, 'huge.bin');
    writeFileSync(small, randomBytes(MiB));
    writeFileSync(huge, '');
    truncateSync(huge, 192 * MiB); // sparse: instant to make, real bytes to read
    const peak = async (file: string): Promise<number> => {
      const result = await peakRss(dir, [`hosted_vllm/${SERVED}`, 'v1/upload-sink', '--api-base', vllm.url, '--data', `@${file}`, '-H', 'content-type: application/octet-stream']);
      expect(result.code, result.stderr).toBe(0);
      return result.peakKiB;
    };
    const baseline = await peak(small);
    const uploading = await peak(huge);
    expect(vllm.requests.at(-1)!.bodySize).toBe(192 * MiB);
    expect((uploading - baseline) / 1024, `peak RSS ${uploading} KiB vs baseline ${baseline} KiB`).toBeLessThan(96);
  });
});

/** Runs the CLI and measures its peak RSS: GNU time's %M when installed, else /proc VmHWM polled while it runs. */
async function peakRss(cwd: string, args: string[]): Promise<CliResult & { peakKiB: number }> {
  if (existsSync('/usr/bin/time')) {
    const out = join(cwd, `rss-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
    const result = await call(cwd, args, { wrapper: ['/usr/bin/time', '-f', '%M', '-o', out] });
    const peakKiB = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
    return { ...result, peakKiB };
  }
  const running = spawnCli({ args: ['call', ...args], cwd });
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${running.child.pid}/status`, 'utf8'));
      if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
    } catch {
      // exited
    }
  }, 5);
  const result = await running.result;
  clearInterval(poll);
  return { ...result, peakKiB };
}

describe('streaming responses', () => {
  const EVENTS = ['{"n":1}', '{"n":2}', '{"n":3}', 'event: note\ndata: {"text":"four"}', '{"n":5}', '[DONE]'];
  const RAW = 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\nevent: note\ndata: {"text":"four"}\n\ndata: {"n":5}\n\ndata: [DONE]\n\n';

  it('SSE is written as it arrives: stdout chunks are spread over the stream\'s time (piped, byte for byte)', async () => {
    const sse = await fake(sseChunks(EVENTS, 200));
    const started = performance.now();
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'v1/chat/completions', '--api-base', sse.url, '--json', '{"stream":true}'], cwd: tempDir() });
    const result = await running.result;
    expectOk(result);
    expect(result.stdout.toString()).toBe(RAW);
    const times = running.chunks.map((chunk) => chunk.at - started);
    expect(running.chunks.length, `chunks at ${times.map(Math.round).join(', ')} ms`).toBeGreaterThanOrEqual(4);
    // Five 200 ms gaps upstream: a buffering CLI would write everything at once after the last event.
    const spread = running.chunks.at(-1)!.at - running.chunks[0]!.at;
    expect(spread, `chunks at ${times.map(Math.round).join(', ')} ms`).toBeGreaterThan(600);
    expect(running.chunks[0]!.data.toString()).toMatch(/^data: \{"n":1\}\n\n/);
  });

  it('--pretty renders events one per line as they arrive, even when piped', async () => {
    const sse = await fake(sseChunks(EVENTS, 100));
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'v1/chat/completions', '--api-base', sse.url, '--json', '{"stream":true}', '--pretty'], cwd: tempDir() });
    const result = await running.result;
    expectOk(result);
    expect(result.stdout.toString()).toBe('{"n":1}\n{"n":2}\n{"n":3}\nevent: note {"text":"four"}\n{"n":5}\n[DONE]\n');
    expect(running.chunks.length).toBeGreaterThanOrEqual(3);
    expect(running.chunks.at(-1)!.at - running.chunks[0]!.at).toBeGreaterThan(250);
  });

  it('a vLLM chat stream through an alias ends with [DONE]', async () => {
    const result = await call(project, ['roberta-no-v1', 'v1/chat/completions', '--json', '{"stream":true,"messages":[{"role":"user","content":"Hello there"}]}']);
    expectOk(result);
    const text = result.stdout.toString();
    expect(text.startsWith('data: {')).toBe(true);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('output', () => {
  it('a piped body is byte-exact: odd whitespace, CRLF, non-UTF-8 bytes, no trailing newline added', async () => {
    const odd = Buffer.concat([Buffer.from('{ "a" :1 ,\r\n\t"b":"\u00e9\u2028" ,"c":[ ] }  \n\n  '), Buffer.from([0xff, 0xc3, 0x28, 0x00])]);
    const server = await fake(status(200, odd, { 'content-type': 'application/json' }));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}']);
    expectOk(result);
    expect(result.stdout.equals(odd)).toBe(true);
  });

  it('--include prints the status line and headers, then the body', async () => {
    const server = await fake(status(201, '{"ok":true}', { 'content-type': 'application/json', 'x-upstream': 'yes' }));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--include', '--json', '{}']);
    expectOk(result);
    const text = result.stdout.toString();
    const [head, body] = text.split('\n\n');
    const lines = head!.split('\n');
    expect(lines[0]).toBe('HTTP/1.1 201 Created');
    expect(lines).toContain('content-type: application/json');
    expect(lines).toContain('x-upstream: yes');
    expect(body).toBe('{"ok":true}');
  });

  it('--include on a 4xx shows its status line, and the exit code is still 4', async () => {
    const result = await call(project, ['wrong-model', 'classify', '-i', '--json', '{"input":"hi"}']);
    expect(result.code).toBe(4);
    expect(result.stdout.toString().split('\n')[0]).toBe('HTTP/1.1 404 Not Found');
  });

  it('`| head -c 20` closing the pipe early ends the call quietly with the status\'s exit code, dropping the upstream request', async () => {
    const server = await fake(sseChunks(Array.from({ length: 30 }, (_, n) => `{"n":${n}}`), 50));
    const command = [process.execPath, BIN, 'call', 'hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'].map(shellQuote).join(' ');
    const result = await runShell(`{ ${command}; echo "exit=$?" >&2; } | head -c 20`, tempDir());
    expect(result.stdout.toString()).toBe('data: {"n":0}\n\ndata:');
    expect(result.stderr).toBe('exit=0\n');
    await until(() => server.requests[0]!.aborted);
  });

  // Spawned by a Node program, stdout is a socket pair: once the reader closes it, run-call.ts returns on
  // OutputClosedError, but oclif's flush() (awaited by execute() in src/cli/run.ts) waits for a 'drain' that
  // never comes behind an unref'd timer, so Node exits 13 with "Warning: Detected unsettled top-level await at
  // bin/run.js:7" on stderr.
  it('a Node parent that closes the CLI\'s stdout early gets exit 0 and no message', async () => {
    const server = await fake(sseChunks(Array.from({ length: 20 }, (_, n) => `{"n":${n}}`), 100));
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'], cwd: tempDir() });
    await until(() => running.chunks.length > 0);
    running.child.stdout!.destroy();
    const result = await running.result;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('--output FILE writes the body to the file, nothing to stdout', async () => {
    const dir = tempDir();
    const result = await call(project, ['echo', 'x', '--json', '{"input":"to a file"}', '--output', join(dir, 'out.json')]);
    expectOk(result);
    expect(result.stdout.length).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Echoed).json).toEqual({ model: 'echo-model', input: 'to a file' });
  });

  // run-call.ts opens the file with createWriteStream(flags.output) and attaches no 'error' listener before
  // printing, so an unwritable path crashes Node with "Unhandled 'error' event" and a stack trace.
  it('--output to a path that cannot be written is a one-line error', async () => {
    for (const output of [join(tempDir(), 'no', 'such', 'dir', 'out.json'), tempDir()]) {
      const result = await call(project, ['echo', 'x', '--json', '{}', '--output', output]);
      expect(result.code).not.toBe(0);
      expectOneLineError(result);
    }
  });

  it('--pretty indents JSON even when piped, without colour', async () => {
    const result = await call(project, ['echo', 'x', '--pretty', '--json', '{"input":"hi"}']);
    expectOk(result);
    const text = result.stdout.toString();
    expect(text).toMatch(/^\{\n {2}"method": "POST",\n/);
    expect(text).not.toContain('\u001b[');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('--verbose shows the request and the routing on stderr, the key masked as $VAR; stdout is just the body', async () => {
    const result = await call(project, ['keyed-vllm', 'v1/chat/completions', '--verbose', '--json', '{"messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ MY_VLLM_KEY: VLLM_KEY }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`> POST ${vllmKeyed.url}/v1/chat/completions`);
    expect(result.stderr).toContain('> authorization: Bearer $MY_VLLM_KEY');
    expect(result.stderr).toContain('< HTTP 200 OK');
    expect(result.stderr).not.toContain(VLLM_KEY);
    expect(json(result)).toMatchObject({ object: 'chat.completion' });
  });

  it('--dry-run prints the resolved request without sending it, the key as $VAR', async () => {
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'classify', '--dry-run', '--json', '{"model":"keyed-vllm","input":"hi"}'], { env: baseEnv({ MY_VLLM_KEY: VLLM_KEY }) });
    expectOk(result);
    expect(result.stdout.toString()).toBe(
      `POST ${vllmKeyed.url}/classify\ncontent-type: application/json\nauthorization: Bearer $MY_VLLM_KEY\n\n{"model":"${SERVED}","input":"hi"}\n`,
    );
    expect(vllmKeyed.requests.length).toBe(before);
  });

  it('--curl prints an equivalent curl command without sending it; a key from a flag shows as ***', async () => {
    const before = vllmKeyed.requests.length;
    const fromEnv = await call(project, ['keyed-vllm', 'classify', '--curl', '--json', '{"input":"it\'s"}'], { env: baseEnv({ MY_VLLM_KEY: VLLM_KEY }) });
    expectOk(fromEnv);
    expect(fromEnv.stdout.toString()).toBe(
      `curl -X POST '${vllmKeyed.url}/classify' -H 'content-type: application/json' -H 'authorization: Bearer '"$MY_VLLM_KEY" --data-raw '{"model":"${SERVED}","input":"it'\\''s"}'\n`,
    );
    const env = baseEnv({ MY_VLLM_KEY: 'sk-not-this-one' });
    const fromFlag = await call(project, ['keyed-vllm', 'classify', '--curl', '--api-key', VLLM_KEY, '--json', '{}'], { env });
    expectOk(fromFlag);
    expect(fromFlag.stdout.toString()).toContain("-H 'authorization: Bearer ***'");
    expect(fromFlag.stdout.toString()).not.toContain(VLLM_KEY);
    const dryFromFlag = await call(project, ['keyed-vllm', 'classify', '--dry-run', '--api-key', VLLM_KEY, '--json', '{}'], { env });
    expect(dryFromFlag.stdout.toString()).toContain('authorization: Bearer ***');
    expect(dryFromFlag.stdout.toString()).not.toContain('$MY_VLLM_KEY');
    expect(vllmKeyed.requests.length).toBe(before);
  });
});

describe('exit codes', () => {
  it('0 for a 2xx answer', async () => {
    expect((await call(project, ['echo', 'x', '--json', '{}'])).code).toBe(0);
  });

  it('4 for a 4xx answer (a model vLLM does not serve), the body still printed', async () => {
    const result = await call(project, ['wrong-model', 'classify', '--json', '{"input":"hi"}']);
    expect(result.code).toBe(4);
    expect(json(result)).toEqual({ error: { message: 'The model `some-other-model` does not exist.', type: 'NotFoundError', param: null, code: 404 } });
    expect(result.stderr).toBe('');
  });

  it('5 for a 5xx answer, the body still printed', async () => {
    const server = await fake(status(500, { error: 'boom' }));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--retries', '0', '--json', '{}']);
    expect(result.code).toBe(5);
    expect(result.stdout.toString()).toBe('{"error":"boom"}');
    expect(server.requests).toHaveLength(1);
  });

  it('a 503 is retried (--retries 1) and the 2xx that follows is exit 0', async () => {
    const server = await fake(sequence(status(503, { error: 'busy' }, { 'retry-after': '0' }), status(200, '{"ok":1}', { 'content-type': 'application/json' })));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--retries', '1', '--json', '{}']);
    expectOk(result);
    expect(result.stdout.toString()).toBe('{"ok":1}');
    expect(server.requests).toHaveLength(2);
  });

  it('3 when the upstream refuses the connection, in one line naming the URL', async () => {
    const port = await deadPort();
    const result = await call(tempDir(), ['hosted_vllm/m', 'classify', '--api-base', `http://127.0.0.1:${port}`, '--retries', '0', '--json', '{}']);
    expect(result.code).toBe(3);
    expectOneLineError(result, new RegExp(`127\\.0\\.0\\.1:${port}/classify.*connection refused`));
    expect(result.stdout.length).toBe(0);
  });

  it('3 when the upstream hangs past --timeout 1', async () => {
    const server = await fake(hang());
    const started = Date.now();
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--timeout', '1', '--retries', '0', '--json', '{}']);
    expect(result.code).toBe(3);
    expectOneLineError(result, /no answer within 1s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('3 when the upstream hangs past litellm_params.timeout from the config', async () => {
    const server = await fake(hang());
    const dir = tempConfig(`model_list:\n  - model_name: slow\n    litellm_params: { model: hosted_vllm/m, api_base: "${server.url}", timeout: 1 }\nrouter_settings: { num_retries: 0 }\n`);
    const started = Date.now();
    const result = await call(dir, ['slow', 'x', '--json', '{}']);
    expect(result.code).toBe(3);
    expectOneLineError(result, /no answer within 1s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('3 when a body goes silent for longer than --timeout mid-stream, after printing what came', async () => {
    const server = await fake(slowChunks(['first ', 'second'], 2_500));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--timeout', '1', '--retries', '0', '--json', '{}']);
    expect(result.code).toBe(3);
    expect(result.stdout.toString()).toBe('first ');
    expectOneLineError(result, /went silent for 1s/);
  });

  it('3 when the connection is reset before the answer or in the middle of the body', async () => {
    const early = await fake(resetBeforeHeaders());
    const before = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', early.url, '--retries', '0', '--json', '{}']);
    expect(before.code).toBe(3);
    expectOneLineError(before);
    const mid = await fake(resetMidBody(10));
    const cut = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', mid.url, '--retries', '0', '--json', '{}']);
    expect(cut.code).toBe(3);
    expectOneLineError(cut, /cut short/);
    expect(cut.stdout.length).toBeLessThanOrEqual(10);
  });

  it('2 for an unknown alias: names the config file and suggests the closest alias', async () => {
    const result = await call(project, ['roberta-base-langauge-detection', 'classify', '--json', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /unknown model "roberta-base-langauge-detection".*llmpass\.config\.yaml.*did you mean "roberta-base-language-detection"\?/);
  });

  it('2 for a bad flag, a bad flag value and a missing argument', async () => {
    for (const args of [['echo', 'x', '--bogus'], ['echo', 'x', '--timeout', 'soon'], ['echo'], ['echo', 'x', '--retries', '-1']]) {
      const result = await call(project, args);
      expect(result.code, args.join(' ')).toBe(2);
      expectOneLineError(result);
    }
  });

  it('2 for a broken config, naming the file and the path in it', async () => {
    const dir = tempConfig(`model_list:
  - model_name: a
    litellm_params: { model: hosted_vllm/a, api_base: "http://127.0.0.1:1" }
  - model_name: b
    litellm_params: { model: hosted_vllm/b, api_base: "http://127.0.0.1:1" }
  - model_name: c
    litellm_params: { model: hosted_vllm/c, api_base: "htp:/x" }
`);
    const result = await call(dir, ['a', 'classify', '--json', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /^llmpass: llmpass\.config\.yaml: model_list\[2\]\.litellm_params\.api_base: not a URL \("htp:\/x"\)$/);
    const yaml = tempConfig('model_list:\n  - model_name: a\n    litellm_params: { model: [oops\n');
    const broken = await call(yaml, ['a', 'classify', '--json', '{}']);
    expect(broken.code).toBe(2);
    expectOneLineError(broken, /llmpass\.config\.yaml/);
    const named = await call(tempDir(), ['a', 'classify', '--config', 'nowhere.yaml', '--json', '{}']);
    expect(named.code).toBe(2);
    expectOneLineError(named, /nowhere\.yaml \(from --config\) does not exist/);
  });

  it('2 for invalid --json, and nothing is sent', async () => {
    const before = upstream.requests.length;
    const result = await call(project, ['echo', 'x', '--json', '{"input":']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /--json is not valid JSON/);
    const stdin = await call(project, ['echo', 'x'], { input: 'not json' });
    expect(stdin.code).toBe(2);
    expectOneLineError(stdin, /stdin is not valid JSON/);
    expect(upstream.requests.length).toBe(before);
  });

  it('130 on SIGINT while the upstream hangs, and the upstream request is aborted', async () => {
    const server = await fake(hang());
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'], cwd: tempDir() });
    await until(() => server.requests.length === 1);
    running.child.kill('SIGINT');
    const result = await running.result;
    expect(result.code).toBe(130);
    expectOneLineError(result, /interrupted/);
    await until(() => server.requests[0]!.aborted);
  });

  it('130 on SIGINT in the middle of a stream, the part already received printed', async () => {
    const server = await fake(sseChunks(['{"n":1}', '{"n":2}', '{"n":3}'], 2_000));
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'], cwd: tempDir() });
    await until(() => running.chunks.length > 0);
    running.child.kill('SIGINT');
    const result = await running.result;
    expect(result.code).toBe(130);
    expect(result.stdout.toString()).toBe('data: {"n":1}\n\n');
    await until(() => server.requests[0]!.aborted);
  });
});

describe('errors', () => {
  it('are one line without a stack trace, and --debug adds the stack', async () => {
    const port = await deadPort();
    const args = ['hosted_vllm/m', 'x', '--api-base', `http://127.0.0.1:${port}`, '--retries', '0', '--json', '{}'];
    const plain = await call(tempDir(), args);
    expect(plain.code).toBe(3);
    expectOneLineError(plain);
    const debug = await call(tempDir(), [...args, '--debug']);
    expect(debug.code).toBe(3);
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.split('\n')[0]);
    expect(stackLines(debug.stderr).length).toBeGreaterThan(0);
    const viaEnv = await call(tempDir(), args, { env: baseEnv({ DEBUG: 'llmpass*' }) });
    expect(stackLines(viaEnv.stderr).length).toBeGreaterThan(0);
  });

  it('a usage error is one line too, with or without --debug', async () => {
    const result = await call(project, ['no-such-alias', 'x', '--json', '{}']);
    expectOneLineError(result);
    const debug = await call(project, ['no-such-alias', 'x', '--json', '{}', '--debug']);
    expect(debug.code).toBe(2);
    expect(debug.stderr.split('\n')[0]).toBe(result.stderr.trimEnd());
  });
});

describe('secrets never leak', () => {
  it('distinct canary keys: no canary in any output, and each upstream gets only its own key', async () => {
    const canary = {
      vllm: `canary-vllm-${randomBytes(12).toString('hex')}`,
      openai: `canary-openai-${randomBytes(12).toString('hex')}`,
      anthropic: `canary-anthropic-${randomBytes(12).toString('hex')}`,
    };
    const own = {
      vllm: await startVllmServer({ apiKey: canary.vllm }),
      openai: await fake(openAiLike({ apiKey: canary.openai })),
      anthropic: await fake(anthropicLike({ apiKey: canary.anthropic })),
    };
    servers.push(own.vllm);
    const dir = tempConfig(`model_list:
  - model_name: v
    litellm_params: { model: hosted_vllm/${SERVED}, api_base: "${own.vllm.url}/v1" }
  - model_name: o
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${own.openai.url}/v1" }
  - model_name: a
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_base: "${own.anthropic.url}" }
router_settings:
  num_retries: 0
`);
    const env = baseEnv({ HOSTED_VLLM_API_KEY: canary.vllm, OPENAI_API_KEY: canary.openai, ANTHROPIC_API_KEY: canary.anthropic });
    const chat = '{"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}';
    const calls: Array<[string, string]> = [['v', 'v1/chat/completions'], ['o', 'chat/completions'], ['a', 'v1/messages']];
    const port = await deadPort();
    const results = (
      await Promise.all(
        calls.map(async ([alias, endpoint]) => {
          const done: CliResult[] = [];
          for (const flags of [['--verbose'], ['--include'], ['--dry-run'], ['--curl'], ['--debug', '--verbose', '--include']]) {
            const result = await call(dir, [alias, endpoint, ...flags, '--json', chat], { env });
            expect(result.code, `${alias} ${flags.join(' ')}: ${result.stderr}`).toBe(0);
            done.push(result);
          }
          // Errors: an upstream 4xx with everything on, and a dead port with a stack trace.
          const notFound = await call(dir, [alias, 'v1/nope', '--verbose', '--include', '--debug', '--json', chat], { env });
          expect(notFound.code, notFound.stderr).toBe(4);
          const dead = await call(dir, [alias, endpoint, '--api-base', `http://127.0.0.1:${port}`, '--verbose', '--debug', '--json', chat], { env });
          expect(dead.code, dead.stderr).toBe(3);
          expect(stackLines(dead.stderr).length).toBeGreaterThan(0);
          return [...done, notFound, dead];
        }),
      )
    ).flat();
    results.push(await call(dir, ['v', 'classify', '--verbose', '--json', '{}'], { env: { ...env, DEBUG: 'llmpass*' } }));
    for (const result of results) {
      const output = `${result.stdout.toString('latin1')}\n${result.stderr}`;
      for (const value of Object.values(canary)) expect(output).not.toContain(value);
    }
    // The dry runs name the variables instead.
    const shown = results.map((r) => r.stdout.toString()).join('\n');
    expect(shown).toContain('authorization: Bearer $HOSTED_VLLM_API_KEY');
    expect(shown).toContain('authorization: Bearer $OPENAI_API_KEY');
    expect(shown).toContain('x-api-key: $ANTHROPIC_API_KEY');

    for (const [name, server] of Object.entries(own) as Array<[keyof typeof canary, FakeServer]>) {
      expect(server.requests.length, name).toBeGreaterThan(0);
      for (const request of server.requests) {
        const seen = JSON.stringify([request.url, request.rawHeaders, request.body.toString('latin1')]);
        expect(seen, name).toContain(canary[name]);
        for (const [other, value] of Object.entries(canary)) if (other !== name) expect(seen, `${other} key sent to ${name}`).not.toContain(value);
      }
    }
  });
});

// A pseudo-terminal from util-linux `script`; skipped where it is not installed.
describe.skipIf(!existsSync(SCRIPT))('on a terminal', () => {
  const args = [SEED_ALIAS, 'classify', '--json', '{"input":"Hello, world!"}'];
  const ESC = '\u001b[';

  it('JSON is pretty-printed (indented) and coloured', async () => {
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true });
    expect(result.code, result.stdout.toString()).toBe(0);
    const text = result.stdout.toString();
    expect(text).toContain(ESC);
    const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/^\{\n {2}"id": "classify-/);
    expect(plain).toContain('\n  "data": [\n    {\n      "index": 0,\n      "label": "en",');
    expect(JSON.parse(plain)).toMatchObject({ model: SERVED });
  });

  it('NO_COLOR=1 keeps it pretty but plain', async () => {
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, env: baseEnv({ NO_COLOR: '1' }) });
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).not.toContain(ESC);
    expect(text).toMatch(/^\{\n {2}"id": /);
    expect((JSON.parse(text) as { data: Array<{ label: string }> }).data[0]!.label).toBe('en');
  });

  it('FORCE_COLOR=0 disables colour', async () => {
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, env: baseEnv({ FORCE_COLOR: '0' }) });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).not.toContain(ESC);
    expect(result.stdout.toString()).toMatch(/^\{\n {2}"id": /);
  });

  it('--raw prints the upstream\'s bytes even on a terminal', async () => {
    const result = await runCli({ args: ['call', ...args, '--raw'], cwd: project, tty: true });
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).not.toContain(ESC);
    expect(text.startsWith('{"id":"classify-')).toBe(true);
    expect(text).not.toContain('\n');
  });

  it('SSE is rendered event by event on a terminal', async () => {
    const sse = await fake(sseChunks(['{"n":1}', 'event: done\ndata: {}', '[DONE]'], 20));
    const result = await runCli({ args: ['call', 'hosted_vllm/m', 'x', '--api-base', sse.url, '--json', '{}'], cwd: tempDir(), tty: true, env: baseEnv({ NO_COLOR: '1' }) });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe('{"n":1}\nevent: done {}\n[DONE]\n');
  });

  it('without CI a spinner is drawn on stderr while waiting, then cleared, and the body printed', async () => {
    const env = baseEnv({ CI: undefined, NO_COLOR: '1' });
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, columns: 120, env, timeoutMs: 8_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).toContain(`${SEED_ALIAS} → ${seedTap.url}/classify`);
    // The body, then the footer line (status, times) on stderr.
    const body = text.slice(text.indexOf('{\n'), text.lastIndexOf('}\n') + 1);
    expect((JSON.parse(body.replace(/\u001b\[\?25h/g, '')) as { data: Array<{ label: string }> }).data[0]!.label).toBe('en');
    expect(text.replace(/\u001b\[\?25h/g, '').trimEnd().split('\n').at(-1)).toMatch(/^HTTP 200 OK · \d+\.\d\d s · first byte/);
  });

  // A pseudo-terminal of 0 columns (what `script` makes without a real terminal, as in CI or `docker exec -t`):
  // stopping ora's spinner (src/cli/spinner.ts, started from src/cli/run-call.ts) then loops forever writing
  // cursor-up/erase sequences; the body is never printed, memory grows by GBs and, with the event loop blocked,
  // SIGTERM does not stop it (only SIGKILL).
  it('with a spinner on a 0-column terminal the call still finishes', async () => {
    const env = baseEnv({ CI: undefined, NO_COLOR: '1' });
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, columns: 0, env, timeoutMs: 3_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
  });
});

describe('help', () => {
  it('llmpass call --help exits 0 and shows the examples and the exit-code table', async () => {
    const result = await runCli({ args: ['call', '--help'], cwd: tempDir() });
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).toContain('EXAMPLES');
    expect(text).toContain(`llmpass call ${SEED_ALIAS} classify --json`);
    expect(text).toContain('EXIT CODES');
    for (const code of ['0 a 2xx answer', '2 usage or config mistake', '3 unreachable or timed out', '4 a 4xx answer', '5 a 5xx answer', '130 interrupted']) {
      expect(text).toContain(code);
    }
  });

  it('llmpass --help exits 0 and lists call', async () => {
    const result = await runCli({ args: ['--help'], cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/^\s+call\s+Send a payload/m);
  });

  // The root help (oclif's) shows VERSION, USAGE and COMMANDS only: no examples and no exit-code table, which
  // live in `call --help` alone (src/commands/call.ts; nothing sets them for the root).
  it('llmpass --help shows examples and the exit-code table', async () => {
    const result = await runCli({ args: ['--help'], cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('EXAMPLES');
    expect(result.stdout.toString()).toContain('EXIT CODES');
  });
});
