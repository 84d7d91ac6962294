// The footer: status, total time, first byte or first token, tokens in/out, cost and tokens/s, on stderr. On a terminal
// by default; --meta and --meta-json ask for it when piped, and stdout stays the body byte for byte.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sseChunks, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { fakeUpstreams } from '../support/upstreams.ts';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { CHAT, loggedConfig } from '../support/logged-calls.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

assertBuilt();
afterAll(cleanupTemp);
const fake = fakeUpstreams(() => status(204));
const upstream = async (handler: FakeHandler) => (await fake(handler)).url;

const chunk = (delta: unknown) => JSON.stringify({ choices: [{ index: 0, delta }] });
const STREAM = [chunk({ content: 'Hello' }), chunk({ content: ' there' }), JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 7 } }), '[DONE]'];
const person = baseEnv({ CI: undefined, NO_COLOR: '1', TERM: 'xterm' });
const FOOTER = /^HTTP 200 OK · \d+\.\d\d s · first token \d+\.\d\d s · 5 in \/ 7 out tokens · cost – · \d+\.\d tokens\/s$/;

describe('footer', () => {
  it('on a terminal: after a stream\'s text, one line with status, times and tokens', async () => {
    const base = await upstream(sseChunks(STREAM, 10));
    const tty = await call(tempDir(), ['hosted_vllm/m', 'v1/chat/completions', '--api-base', base, '--json', '{}'], { tty: true, env: person, columns: 120 });
    expect(tty.code).toBe(0);
    const lines = tty.stdout.toString().replace(/\u001b\[\?25[hl]/g, '').split('\n').filter(Boolean);
    expect(lines.at(-2)).toMatch(/Hello there$/);
    expect(lines.at(-1)).toMatch(FOOTER);
  });

  it('a JSON answer: first byte, and the usage it reports', async () => {
    const base = await upstream(status(200, JSON.stringify({ choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 3, completion_tokens: 1 } }), { 'content-type': 'application/json' }));
    const piped = await call(tempDir(), ['hosted_vllm/m', 'v1/chat/completions', '--api-base', base, '--json', '{}', '--meta']);
    expect(piped.stderr).toMatch(/^HTTP 200 OK · \d+\.\d\d s · first byte \d+\.\d\d s · 3 in \/ 1 out tokens · cost –\n$/);
  });

  it('piped: nothing without a flag; --meta the line and --meta-json an object on stderr; stdout byte for byte', async () => {
    const base = await upstream(sseChunks(STREAM, 5));
    const args = ['hosted_vllm/m', 'v1/chat/completions', '--api-base', base, '--json', '{}'];
    const direct = Buffer.from(await (await fetch(`${base}/direct`, { method: 'POST' })).arrayBuffer());
    const bare = await call(tempDir(), args, { env: person });
    expect(bare.stderr).toBe('');
    expect(bare.stdout.equals(direct)).toBe(true);
    const meta = await call(tempDir(), [...args, '--meta']);
    expect(meta.stdout.equals(direct)).toBe(true);
    expect(meta.stderr.trimEnd()).toMatch(FOOTER);
    const json = await call(tempDir(), [...args, '--meta-json']);
    expect(json.stdout.equals(direct)).toBe(true);
    expect(JSON.parse(json.stderr)).toMatchObject({ status: 200, tokens_in: 5, tokens_out: 7, total_ms: expect.any(Number), first_token_ms: expect.any(Number), tokens_per_s: expect.any(Number), cost: null });
  });

  it('--verbose and --meta-json: the cost at the deployment\'s rates; an answer without usage says – for both, never 0', async () => {
    const priced = loggedConfig(await upstream(status(200, CHAT)));
    const verbose = await call(priced, ['chat', 'v1/chat/completions', 'messages:=[]', '--verbose', '--no-log']);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr.trimEnd().split('\n').at(-1)).toMatch(/^HTTP 200 OK · \d+\.\d\d s · first byte \d+\.\d\d s · 1000 in \/ 500 out tokens · cost \$0\.002000$/);
    const json = await call(priced, ['chat', 'v1/chat/completions', 'messages:=[]', '--meta-json', '--no-log']);
    expect(JSON.parse(json.stderr)).toMatchObject({ tokens_in: 1000, tokens_out: 500, cost: expect.closeTo(0.002, 12) });
    const silent = loggedConfig(await upstream(status(200, { choices: [] })));
    const tty = await call(silent, ['chat', 'v1/chat/completions', 'messages:=[]', '--no-log'], { tty: true, env: person, columns: 120 });
    expect(tty.code).toBe(0);
    expect(tty.stdout.toString().replace(/\u001b\[\?25[hl]/g, '').trimEnd().split('\n').at(-1)).toMatch(/^HTTP 200 OK · \d+\.\d\d s · first byte \d+\.\d\d s · tokens – · cost –$/);
  });
});

describe('a body printed as it came, on a terminal', () => {
  it('--raw or text that ends without a newline: the footer starts a line of its own, and NO_COLOR holds for the spinner', async () => {
    const json = await upstream(status(200, '{"ok":true}', { 'content-type': 'application/json' }));
    const text = await upstream(status(200, 'no newline', { 'content-type': 'text/plain' }));
    const cases: Array<[string, string[], string]> = [
      [json, ['--raw'], '{"ok":true}'],
      [text, [], 'no newline'],
    ];
    for (const [base, more, body] of cases) {
      const tty = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', base, '--json', '{}', ...more], { tty: true, env: person, columns: 120 });
      expect(tty.code).toBe(0);
      // NO_COLOR: the spinner too is drawn without colour
      expect(tty.stdout.toString()).not.toMatch(/\u001b\[3\dm/);
      const lines = tty.stdout.toString().replace(/\u001b\[\?25[hl]/g, '').replace(/\r/g, '').split('\n').filter(Boolean);
      // (the spinner's line, cleared with escapes, comes before the body on the same line)
      expect(lines.at(-2)).toMatch(new RegExp(`${body.replace(/[{}]/g, '\\$&')}$`));
      expect(lines.at(-1)).toMatch(/^HTTP 200 OK · /);
    }
  });
});

describe('--output on a terminal', () => {
  it('a big answer: a progress bar, then `saved 6.0 MB to big.bin`, every byte in the file', async () => {
    const body = randomBytes(6_000_000);
    const base = await upstream(status(200, body, { 'content-type': 'application/octet-stream' }));
    const dir = tempDir();
    const tty = await call(dir, ['hosted_vllm/m', 'x', '--api-base', base, '--json', '{}', '--output', 'big.bin'], { tty: true, env: baseEnv({ NO_COLOR: '1' }) });
    expect(tty.code).toBe(0);
    expect(tty.stdout.toString()).toMatch(/saved 6\.0 MB to big\.bin\n$/);
    expect(readFileSync(join(dir, 'big.bin')).equals(body)).toBe(true);
  });

  it('piped: nothing on stderr', async () => {
    const base = await upstream(status(200, 'small', { 'content-type': 'text/plain' }));
    const dir = tempDir();
    const piped = await call(dir, ['hosted_vllm/m', 'x', '--api-base', base, '--json', '{}', '--output', 'small.txt']);
    expect(piped.stderr).toBe('');
    expect(readFileSync(join(dir, 'small.txt'), 'utf8')).toBe('small');
  });
});
