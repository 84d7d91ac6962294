// A call that was retried says so at the end even when its last answer came back: the footer (terminal, --meta)
// counts the attempts, and --meta-json carries them. One attempt adds nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { sequence, status } from '../fixtures/fake-upstream.ts';
import { fakeUpstreams } from '../support/upstreams.ts';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

assertBuilt();
afterAll(cleanupTemp);
const upstream = fakeUpstreams(() => status(204));
const busy = () => status(503, '{"error":"busy"}', { 'content-type': 'application/json' });
const person = baseEnv({ CI: undefined, NO_COLOR: '1', TERM: 'xterm' });

describe('the footer counts attempts', () => {
  it('on a terminal: a 503 answered three times ends with "3 attempts"', async () => {
    const server = await upstream(busy());
    const tty = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}', '--retries', '2'], { tty: true, env: person, columns: 120 });
    expect(tty.code).toBe(5);
    const last = tty.stdout.toString().replace(/\u001b\[\?25[hl]/g, '').split('\n').filter(Boolean).at(-1);
    expect(last).toMatch(/^HTTP 503 Service Unavailable · \d+\.\d\d s · first byte \d+\.\d\d s · 3 attempts$/);
  });

  it('piped: --meta and --meta-json carry the count; stdout is the last body', async () => {
    const busyOnce = async () => (await upstream(sequence(busy(), status(200, '{"ok":true}', { 'content-type': 'application/json' })))).url;
    const args = (base: string) => ['hosted_vllm/m', 'x', '--api-base', base, '--json', '{}', '--retries', '2'];
    const line = await call(tempDir(), [...args(await busyOnce()), '--meta']);
    expect(line.stdout.toString()).toBe('{"ok":true}');
    expect(line.stderr).toMatch(/ · 2 attempts\n$/);
    const json = await call(tempDir(), [...args(await busyOnce()), '--meta-json']);
    expect(JSON.parse(json.stderr)).toMatchObject({ status: 200, attempts: 2 });
  });

  it('one attempt adds nothing', async () => {
    const server = await upstream(status(200, '{}', { 'content-type': 'application/json' }));
    const piped = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}', '--meta-json']);
    expect(JSON.parse(piped.stderr)).toMatchObject({ attempts: 1 });
    const line = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}', '--meta']);
    expect(line.stderr).not.toContain('attempt');
  });
});
