// `llmpass call` end to end: secrets never leak.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { anthropicLike, openAiLike, type FakeServer } from '../fixtures/fake-upstream.ts';
import { startVllmServer } from '../fixtures/vllm-server.ts';
import { baseEnv, call, deadPort, stackLines, type CliResult } from '../support/cli.ts';
import { tempConfig } from '../support/tmp.ts';
import { SERVED, servers, fake, useCallFixture } from './call-fixture.ts';
import { expectNoSecret } from '../support/secrets.ts';

useCallFixture();

describe('secrets never leak', () => {
  // About twenty CLI runs: room for a loaded machine (the timeout is a safety net, not a timing claim).
  it('distinct canary keys: no canary in any output, and each upstream gets only its own key', { timeout: 60_000 }, async () => {
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
      expectNoSecret(output, Object.values(canary), 'CLI output');
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
