// `llmpass call` end to end: request flags and payloads.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call } from '../support/cli.ts';
import { tempConfig, tempDir, writeFiles } from '../support/tmp.ts';
import { SERVED, vllm, upstream, project, json, echoed, expectOk, expectOneLineError, useCallFixture } from './call-fixture.ts';

useCallFixture();

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

  it('a header the deployment\'s key replaces is said once on stderr, with the way to send another key', async () => {
    const keyed = tempConfig(`model_list:\n  - model_name: keyed\n    litellm_params: { model: hosted_vllm/echo-model, api_base: ${upstream.url}, api_key: sk-config-key-0c1d }\n`);
    const result = await call(keyed, ['keyed', 'x', '-H', 'Authorization: Bearer mine', 'x-other:kept', '--json', '{}']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("llmpass: warning: your authorization header was replaced by keyed's credentials; to send another key, use --api-key\n");
    expect(JSON.parse(result.stdout.toString()).headers).toMatchObject({ authorization: 'Bearer sk-config-key-0c1d', 'x-other': 'kept' });
    const own = await call(keyed, ['keyed', 'x', '--api-key', 'sk-mine-5e6f', '--json', '{}']);
    expect(own.stderr).toBe('');
    expect(JSON.parse(own.stdout.toString()).headers.authorization).toBe('Bearer sk-mine-5e6f');
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
