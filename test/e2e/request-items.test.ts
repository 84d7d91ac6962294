// Request items through the built CLI: `llmpass call echo x input=Hola n:=3 X-Trace:abc k==v`, as httpie's.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, startFakeUpstream, type FakeServer } from '../fixtures/fake-upstream.ts';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import { assertBuilt, call, stackLines, type CliResult } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

let upstream: FakeServer;
let vllm: FakeServer;
let project: string;

interface Echoed {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  json: unknown;
}

function echoed(result: CliResult): Echoed {
  expect(result.stderr, 'stderr').toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout.toString('utf8')) as Echoed;
}

function usageError(result: CliResult, pattern: RegExp): void {
  expect(result.code).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stackLines(result.stderr)).toEqual([]);
}

beforeAll(async () => {
  assertBuilt();
  upstream = await startFakeUpstream(echo());
  vllm = await startVllmServer();
  project = tempConfig(`model_list:
  - model_name: echo
    litellm_params:
      model: hosted_vllm/echo-model
      api_base: ${upstream.url}
  - model_name: lang
    litellm_params:
      model: hosted_vllm/${DEFAULT_SERVED_MODEL}
      api_base: ${vllm.url}/v1
`, {
    'options.json': '{"temperature":0.2,"top_p":1}',
    'prompt.txt': 'Say hi\n',
    'base.json': '{"messages":[{"role":"system","content":"be brief"}]}',
    'talk.wav': Buffer.from('RIFF....WAVEfmt '),
    // "café" in Latin-1: not UTF-8, so no JSON string or form text can hold it unchanged
    'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]),
    'latin1.json': Buffer.from([0x22, 0x63, 0x61, 0x66, 0xe9, 0x22]),
  });
});

afterAll(async () => {
  await Promise.all([upstream.close(), vllm.close()]);
  cleanupTemp();
});

describe('request items', () => {
  it('llmpass call lang classify input=Hola sends {"input":"Hola","model":<upstream>} and reads the answer', async () => {
    const before = vllm.requests.length;
    const result = await call(project, ['lang', 'classify', 'input=Hola']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(vllm.requests.slice(before).map((r) => r.json)).toEqual([{ model: DEFAULT_SERVED_MODEL, input: 'Hola' }]);
    expect(JSON.parse(result.stdout.toString())).toMatchObject({ object: 'list' });
  });

  it('strings, raw JSON, files, nested keys, headers and query items make one request', async () => {
    const seen = echoed(await call(project, [
      'echo', 'v1/chat/completions',
      'messages[0][role]=user', 'messages[0][content]=@prompt.txt',
      'max_tokens:=16', 'stream:=false', 'stop:=["\\n"]', 'options:=@options.json', 'options[seed]:=7',
      'X-Trace:abc-123', 'api-version==2024-10-21', 'tag==a', 'tag==b',
    ]));
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.json).toEqual({
      model: 'echo-model',
      messages: [{ role: 'user', content: 'Say hi\n' }],
      max_tokens: 16,
      stream: false,
      stop: ['\n'],
      options: { temperature: 0.2, top_p: 1, seed: 7 },
    });
    expect(seen.headers['x-trace']).toBe('abc-123');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.query).toEqual({ 'api-version': '2024-10-21', tag: ['a', 'b'] });
  });

  it('escapes make = : @ literal, as httpie does', async () => {
    const seen = echoed(await call(project, ['echo', 'x', 'a\\=b=c', 'time\\:12=noon', 'handle=\\@me', 'url=http://h:1/?q=1']));
    expect(seen.json).toEqual({ model: 'echo-model', 'a=b': 'c', 'time:12': 'noon', handle: '@me', url: 'http://h:1/?q=1' });
  });

  it('items merge into a --json or --data base (a file too), and override its keys', async () => {
    const fromJson = echoed(await call(project, ['echo', 'x', '--json', '{"input":"old","keep":1}', 'input=new']));
    expect(fromJson.json).toEqual({ model: 'echo-model', input: 'new', keep: 1 });
    const fromFile = echoed(await call(project, ['echo', 'x', '--data', '@base.json', 'messages[1][role]=user', 'messages[1][content]=Hola']));
    expect(fromFile.json).toEqual({
      model: 'echo-model',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'Hola' }],
    });
  });

  it('items are the body: stdin is not read when they are given', async () => {
    const seen = echoed(await call(project, ['echo', 'x', 'input=Hola'], { input: '{"from":"stdin"}' }));
    expect(seen.json).toEqual({ model: 'echo-model', input: 'Hola' });
  });

  it('headers and query items alone leave the body to stdin', async () => {
    const seen = echoed(await call(project, ['echo', 'x', 'X-Trace:1', 'k==v'], { input: '{"input":"piped"}' }));
    expect(seen.json).toEqual({ model: 'echo-model', input: 'piped' });
    expect(seen.query).toEqual({ k: 'v' });
  });

  it('with --form, key=value and key@file are form fields (and field@file alone makes a form)', async () => {
    const before = vllm.requests.length;
    const result = await call(project, ['lang', 'v1/audio/transcriptions', 'file@talk.wav;type=audio/wav', 'model=whisper', 'language=en', 'prompt=@prompt.txt']);
    expect(result.stderr).toBe('');
    const request = vllm.requests[before]!;
    expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const form = await new Response(new Uint8Array(request.body), { headers: { 'content-type': request.headers['content-type']! } }).formData();
    expect(form.get('model')).toBe(DEFAULT_SERVED_MODEL);
    expect(form.get('language')).toBe('en');
    // Multipart text fields go with CRLF line ends, as browsers send them (the FormData encoding rules).
    expect(form.get('prompt')).toBe('Say hi\r\n');
    const file = form.get('file') as File;
    expect([file.name, file.type, file.size]).toEqual(['talk.wav', 'audio/wav', 16]);

    const withFlag = await call(project, ['echo', 'x', '--form', 'a=1', 'b=2', '--dry-run']);
    expect(withFlag.stdout.toString()).toContain('<multipart form>\na=1\nb=2\n');
  });

  it('--json @file and --json - read the JSON from a file or stdin', async () => {
    const fromFile = echoed(await call(project, ['echo', 'x', '--json', '@options.json']));
    expect(fromFile.json).toEqual({ model: 'echo-model', temperature: 0.2, top_p: 1 });
    const fromStdin = echoed(await call(project, ['echo', 'x', '--json', '-'], { input: '{"input":"piped"}' }));
    expect(fromStdin.json).toEqual({ model: 'echo-model', input: 'piped' });
  });

  it('--json - and --data - with nothing on stdin are a usage error, not a request without a body', async () => {
    const before = upstream.requests.length;
    usageError(await call(project, ['echo', 'x', '--json', '-'], { input: '' }), /^llmpass: --json -: stdin was empty: pipe the body in, or drop --json to send none$/);
    usageError(await call(project, ['echo', 'x', '--data', '-'], { input: '\n' }), /^llmpass: --data -: stdin was empty/);
    expect(upstream.requests.length).toBe(before);
  });

  it.each([
    [['Hola'], /"Hola" is not a request item \(expected key=value/],
    [['n:=nope'], /request item "n" \(after :=\) is not valid JSON .*for a string, write n=\.\.\./],
    [['doc:=@missing.json'], /cannot read missing\.json \(ENOENT\)/],
    [['a=1', 'a[b]=2'], /cannot set key "b" in a, which is a string/],
    [['--json', '"text"', 'a=1'], /add to a JSON object or array/],
    [['--form', 'a=1', 'n:=2'], /multipart form cannot hold: send it as n=value/],
    [['--json', '{}', 'f@talk.wav'], /make a multipart form, which cannot also take --json/],
    [['-H', 'content-type: text/plain', 'a=1'], /request items build a JSON body, but the content-type is text\/plain/],
    [['--json', '@missing.json'], /--json: cannot read missing\.json \(ENOENT\)/],
    // a file's text is never decoded with U+FFFD put in place of bytes that are not UTF-8
    [['note=@latin1.txt'], /note=@latin1\.txt: latin1\.txt is not UTF-8 text/],
    [['doc:=@latin1.json'], /doc:=@latin1\.json: latin1\.json is not UTF-8 text/],
    [['--form', 'a=1', 'note=@latin1.txt'], /note=@latin1\.txt: latin1\.txt is not UTF-8 text.*note@latin1\.txt/],
  ])('%j is one clear usage error', async (args, pattern) => {
    usageError(await call(project, ['echo', 'x', ...args]), pattern);
  });

  it('--jsonl takes headers and query items, and refuses body items', async () => {
    usageError(await call(project, ['echo', 'x', '--jsonl', 'a=1'], { input: '{}\n' }), /--jsonl takes each payload from its line/);
    const result = await call(project, ['echo', 'x', '--jsonl', 'X-Trace:t', 'k==v'], { input: '{"a":1}\n' });
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout.toString()) as Echoed;
    expect([seen.headers['x-trace'], seen.query]).toEqual(['t', { k: 'v' }]);
  });

  it('call --help documents the items', async () => {
    const help = (await call(project, ['--help'])).stdout.toString();
    for (const shape of ['key=value', 'key:=json', 'key=@file', 'field@file', 'Header:Value', 'name==value']) expect(help).toContain(shape);
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain('messages[0][role]=user');
  });
});
