// `--curl` prints a command that sends what llmpass sends: each printed command is run by /bin/sh against a
// recording upstream and what arrives is compared with what `llmpass call` itself sent. Hostile values are pasted
// through `sh -c` too: nothing in them runs, and they arrive as typed.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, status, type FakeServer, type RecordedRequest } from '../fixtures/fake-upstream.ts';
import { assertBuilt, baseEnv, call, runShell } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

const KEY = 'sk-curl-equivalence-0001';
const env = baseEnv({ UPSTREAM_KEY: KEY, CURL_TOKEN: 'tok-curl-equivalence-0002' });
let upstream: FakeServer;
let project: string;

beforeAll(async () => {
  assertBuilt();
  upstream = await startFakeUpstream(status(200, { ok: true }));
  project = tempConfig(`model_list:
  - model_name: whisper
    litellm_params:
      model: hosted_vllm/openai/whisper-large-v3
      api_base: ${upstream.url}/v1
      api_key: os.environ/UPSTREAM_KEY
  - model_name: headed
    litellm_params:
      model: hosted_vllm/m
      api_base: ${upstream.url}
      extra_headers:
        x-token: "Bearer \${CURL_TOKEN}"
        x-from-env: os.environ/CURL_TOKEN
        x-odd: "$(touch pwned-config)\${CURL_TOKEN}"
`, {
    'blob.bin': randomBytes(70_000),
    'talk.wav': randomBytes(20_000),
    'we;ird, "name".bin': randomBytes(1_000),
    '$(touch pwned-file).bin': Buffer.from('hostile name'),
    'stdin.bin': randomBytes(30_000),
    'prompt.txt': 'Transcribe this',
  });
});

afterAll(async () => {
  await upstream.close();
  cleanupTemp();
});

/** What must be the same whoever sent it; multipart is compared field by field (boundaries differ). */
async function essence(request: RecordedRequest, streamed: boolean): Promise<unknown> {
  const headers = { ...request.headers };
  // A client's own: curl's user-agent and accept, node's connection; a stream from stdin is chunked by one and not the other.
  for (const name of ['host', 'user-agent', 'accept', 'connection', ...(streamed ? ['content-length', 'transfer-encoding'] : [])]) delete headers[name];
  const type = headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) return { method: request.method, url: request.url, headers, body: request.body.toString('base64') };
  // llmpass streams a form (chunked), curl sizes it first: the bytes in between are what must agree.
  for (const name of ['content-type', 'content-length', 'transfer-encoding']) delete headers[name];
  const form = await new Response(new Uint8Array(request.body), { headers: { 'content-type': type } }).formData();
  const fields = [];
  for (const [name, value] of form) {
    fields.push(typeof value === 'string' ? [name, value] : [name, value.name, value.type, value.size, Buffer.from(await value.arrayBuffer()).toString('base64')]);
  }
  return { method: request.method, url: request.url, headers, fields };
}

async function sentBoth(args: string[], stdinFile?: string): Promise<{ command: string; byLlmpass: RecordedRequest; byCurl: RecordedRequest }> {
  const input = stdinFile ? await import('node:fs').then((fs) => fs.readFileSync(join(project, stdinFile))) : undefined;
  const before = upstream.requests.length;
  const sent = await call(project, args, { env, ...(input ? { input } : {}) });
  expect(sent.stderr).toBe('');
  expect(sent.code).toBe(0);
  const printed = await call(project, [...args, '--curl'], { env });
  expect(printed.code, printed.stderr).toBe(0);
  const command = printed.stdout.toString().trim();
  expect(command).not.toContain(KEY);
  const pasted = await runShell(`${command} --silent --show-error${stdinFile ? ` < '${stdinFile}'` : ''}`, project, env);
  expect(pasted.stderr, command).toBe('');
  expect(pasted.code, command).toBe(0);
  expect(upstream.requests.length).toBe(before + 2);
  return { command, byLlmpass: upstream.requests[before]!, byCurl: upstream.requests[before + 1]! };
}

describe('--curl sends what llmpass sends', () => {
  it.each([
    ['JSON from items, headers and query items, the key from the environment', ['whisper', 'classify', 'input=Hola', "quote=it's", 'n:=3', 'X-Trace:abc', 'k==v w', 'a[0]==1']],
    ['a raw text body', ['whisper', 'raw', '-H', 'content-type: text/plain', '--data', 'plain text\nwith lines']],
    ['a streamed file', ['whisper', 'upload', '-H', 'content-type: application/octet-stream', '--data', '@blob.bin']],
    ['a multipart form: the swapped model, files with their names and types, literal @ and ; in text fields', [
      'whisper', 'v1/audio/transcriptions', '--form', 'file=@talk.wav;type=audio/wav', '--form', 'model=whisper',
      'extra@we\\;ird, "name".bin', 'note=\\@not-a-file;type=x', 'prompt=@prompt.txt', 'language=en',
    ]],
  ])('%s', async (_name, args) => {
    const { command, byLlmpass, byCurl } = await sentBoth(args);
    expect(await essence(byCurl, false), command).toEqual(await essence(byLlmpass, false));
  });

  it('a body from stdin', async () => {
    const { command, byLlmpass, byCurl } = await sentBoth(['whisper', 'upload', '-H', 'content-type: application/octet-stream', '--data', '-'], 'stdin.bin');
    expect(command).toContain("--data-binary '@-'");
    expect(await essence(byCurl, true), command).toEqual(await essence(byLlmpass, true));
  });

  it('the multipart form as --dry-run shows it: every field, the swapped model, file names, sizes and types', async () => {
    const dry = await call(project, ['whisper', 'v1/audio/transcriptions', '--form', 'file=@talk.wav;type=audio/wav', '--form', 'model=whisper', 'language=en', '--dry-run'], { env });
    expect(dry.stdout.toString()).toContain('<multipart form>\nfile=@talk.wav (20000 bytes, audio/wav)\nmodel=openai/whisper-large-v3\nlanguage=en\n');
    const verbose = await call(project, ['whisper', 'v1/audio/transcriptions', '--form', 'file=@talk.wav', '--form', 'model=whisper', '--verbose'], { env });
    expect(verbose.stderr).toContain('> file=@talk.wav (20000 bytes, application/octet-stream)\n> model=openai/whisper-large-v3\n');
  });
});

describe('--curl is safe to paste', () => {
  const hostile = ['$(touch pwned-header)$HOME', '`touch pwned-tick`', "it's \"quoted\" \\ back", '$UPSTREAM_KEY', '!! ${PATH} ; | & > pwned-redirect'];

  it('header, query and body values arrive as typed; none of them runs', async () => {
    const args = ['whisper', 'classify', ...hostile.map((value, i) => `X-Evil-${i}:${value}`), `q==${hostile[0]}`, `text=${hostile.join(' ')}`];
    const { command, byLlmpass, byCurl } = await sentBoth(args);
    for (const file of ['pwned-header', 'pwned-tick', 'pwned-redirect', 'pwned-file']) expect(existsSync(join(project, file)), file).toBe(false);
    expect(byCurl.headers['x-evil-0']).toBe(hostile[0]);
    // Only the key's own $VAR expands: a header that says $UPSTREAM_KEY stays those letters.
    expect(byCurl.headers['x-evil-3']).toBe('$UPSTREAM_KEY');
    expect(byCurl.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(await essence(byCurl, false), command).toEqual(await essence(byLlmpass, false));
  });

  it("configured headers: only their $VAR references expand, and they arrive as llmpass sends them", async () => {
    const { command, byLlmpass, byCurl } = await sentBoth(['headed', 'classify', 'input=x']);
    expect(command).not.toContain('tok-curl-equivalence-0002');
    expect(byCurl.headers['x-token']).toBe('Bearer tok-curl-equivalence-0002');
    expect(existsSync(join(project, 'pwned-config'))).toBe(false);
    expect(await essence(byCurl, false), command).toEqual(await essence(byLlmpass, false));
  });

  it('a file path with shell syntax in it is quoted, for --data-binary and -F alike', async () => {
    const streamed = await sentBoth(['whisper', 'upload', '-H', 'content-type: application/octet-stream', '--data', '@$(touch pwned-file).bin']);
    expect(await essence(streamed.byCurl, false)).toEqual(await essence(streamed.byLlmpass, false));
    const form = await sentBoth(['whisper', 'v1/audio/transcriptions', 'file@$(touch pwned-file).bin']);
    expect(await essence(form.byCurl, false)).toEqual(await essence(form.byLlmpass, false));
    expect(existsSync(join(project, 'pwned-file'))).toBe(false);
  });
});

