// What a terminal shows of an answer beyond its body: a non-2xx status, retries, a binary held back.
// Piped, stdout stays the body byte for byte and stderr says nothing new.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { hang, sequence, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { fakeUpstreams } from '../support/upstreams.ts';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

assertBuilt();
afterAll(cleanupTemp);
const fake = fakeUpstreams(() => status(204));
const upstream = async (handler: FakeHandler) => (await fake(handler)).url;

const plain = baseEnv({ NO_COLOR: '1' });
const args = (base: string, ...more: string[]) => ['hosted_vllm/m', 'x', '--api-base', base, '--json', '{}', '--retries', '0', ...more];

describe('a non-2xx status', () => {
  it('on a terminal: its status line on stderr before the body; exit code unchanged', async () => {
    const base = await upstream(status(404, '{"error":"no such model"}', { 'content-type': 'application/json' }));
    const tty = await call(tempDir(), args(base), { tty: true, env: plain });
    expect(tty.code).toBe(4);
    expect(tty.stdout.toString()).toMatch(/^HTTP 404 Not Found\n\{\n {2}"error": "no such model"\n\}\n$/);
  });

  it('coloured unless NO_COLOR', async () => {
    const base = await upstream(status(503, 'down'));
    const tty = await call(tempDir(), args(base), { tty: true });
    expect(tty.code).toBe(5);
    expect(tty.stdout.toString()).toContain('\u001b[31mHTTP 503 Service Unavailable\u001b[39m');
  });

  it('an empty body is said so', async () => {
    const base = await upstream(status(404, ''));
    const tty = await call(tempDir(), args(base), { tty: true, env: plain });
    expect(tty.stdout.toString()).toBe('HTTP 404 Not Found (empty body)\n');
  });

  it('piped: stdout is the body byte for byte, stderr empty', async () => {
    const base = await upstream(status(404, '{"error":"no such model"}', { 'content-type': 'application/json' }));
    const piped = await call(tempDir(), args(base));
    expect(piped.code).toBe(4);
    expect(piped.stdout.toString()).toBe('{"error":"no such model"}');
    expect(piped.stderr).toBe('');
  });
});

describe('a binary answer', () => {
  const audio = Buffer.concat([Buffer.from('ID3'), randomBytes(300_000)]);

  it('on a terminal: held back, with its type, size and how to save it', async () => {
    const base = await upstream(status(200, audio, { 'content-type': 'audio/mpeg' }));
    const tty = await call(tempDir(), args(base), { tty: true, env: plain });
    expect(tty.code).toBe(0);
    expect(tty.stdout.toString()).toBe('llmpass: binary answer not shown (audio/mpeg, 300.0 kB); save it with --output FILE, or print it with --raw\n');
  });

  it('bytes that are not text are held back whatever the content type says', async () => {
    const base = await upstream(status(200, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0xff, 0xfe])));
    const tty = await call(tempDir(), args(base), { tty: true, env: plain });
    expect(tty.stdout.toString()).toMatch(/^llmpass: binary answer not shown \(text\/plain; charset=utf-8, 8 B\)/);
  });

  it('--raw prints it on a terminal; piped, it is every byte', async () => {
    const base = await upstream(status(200, audio, { 'content-type': 'audio/mpeg' }));
    const raw = await call(tempDir(), args(base, '--raw'), { tty: true, env: plain });
    expect(raw.stdout.toString('latin1').startsWith('ID3')).toBe(true);
    const piped = await call(tempDir(), args(base));
    expect(piped.code).toBe(0);
    expect(piped.stdout.equals(audio)).toBe(true);
    expect(piped.stderr).toBe('');
  });
});

describe('retries are visible', () => {
  it('on a terminal each retry is announced; piped, stderr stays empty', async () => {
    const handler = () => sequence(status(503, 'busy'), status(503, 'busy'), status(200, 'ok'));
    const tty = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', await upstream(handler()), '--json', '{}', '--retries', '2'], { tty: true, env: plain });
    expect(tty.code).toBe(0);
    const lines = tty.stdout.toString().split('\n');
    expect(lines[0]).toMatch(/^llmpass: HTTP 503 from \S+; attempt 2 of 3 in \d+\.\d s$/);
    expect(lines[1]).toMatch(/^llmpass: HTTP 503 from \S+; attempt 3 of 3 in \d+\.\d s$/);
    expect(lines[2]).toBe('ok');
    const piped = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', await upstream(handler()), '--json', '{}', '--retries', '2']);
    expect(piped.stdout.toString()).toBe('ok');
    expect(piped.stderr).toBe('');
  });

  it('the final message says how many attempts were made', async () => {
    const base = await upstream(hang());
    const piped = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', base, '--json', '{}', '--timeout', '0.3', '--retries', '2']);
    expect(piped.code).toBe(3);
    expect(piped.stderr).toMatch(/^llmpass: \[POST\] "[^"]+": no answer within 0\.3s, 3 attempts \(raise --timeout or litellm_params\.timeout\)\n$/);
  });
});
