// Library errors name what to fix in the library's terms; the CLI's flags appear only in the CLI's message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject, Router } from '../../src/index.ts';
import { hang, startFakeUpstream, type FakeServer } from '../fixtures/fake-upstream.ts';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

let hanging: FakeServer;
beforeAll(async () => {
  assertBuilt();
  hanging = await startFakeUpstream(hang());
});
afterAll(() => hanging.close());

async function failure(promise: Promise<unknown>): Promise<Error & { remedy?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { remedy?: string };
  }
  throw new Error('expected a failure');
}

const FLAG = /--[a-z]/;

describe('library errors carry no CLI advice', () => {
  it('an unknown alias with no config, a missing key, a missing base, a timeout', async () => {
    const router = new Router({ config: configFromObject({}, undefined, {}), numRetries: 0 });
    const unknown = await failure(router.passthrough({ model: 'nope', endpoint: 'x' }));
    expect(unknown.message).toMatch(/unknown model "nope": no such alias in any config \(none was found\); use an alias/);
    expect(unknown.remedy).toBe('config');
    const keyless = await failure(router.passthrough({ model: 'anthropic/claude-x', endpoint: 'v1/messages', apiBase: hanging.url }));
    expect(keyless.message).toMatch(/needs an api key: set ANTHROPIC_API_KEY or litellm_params\.api_key$/);
    const baseless = await failure(router.passthrough({ model: 'hosted_vllm/m', endpoint: 'x' }));
    expect(baseless.message).toMatch(/has no api base: set litellm_params\.api_base or HOSTED_VLLM_API_BASE/);
    const slow = await failure(router.passthrough({ model: 'hosted_vllm/m', endpoint: 'x', apiBase: hanging.url, timeout: 0.2 }));
    expect(slow.message).toMatch(/no answer within 0\.2s/);
    for (const error of [unknown, keyless, baseless, slow]) expect(error.message).not.toMatch(FLAG);
  });

  it('the CLI words the same failures with its flags', async () => {
    const env = baseEnv({ ANTHROPIC_API_KEY: undefined });
    const unknown = await call(tempDir(), ['nope', 'x'], { env });
    expect(unknown.stderr).toMatch(/none was found\); use an alias or provider\/model; pass --config or create llmpass\.config\.yaml\n$/);
    const keyless = await call(tempDir(), ['anthropic/claude-x', 'v1/messages', '--api-base', hanging.url], { env });
    expect(keyless.stderr).toMatch(/set ANTHROPIC_API_KEY or litellm_params\.api_key, or pass --api-key\n$/);
    const baseless = await call(tempDir(), ['hosted_vllm/m', 'x'], { env });
    expect(baseless.stderr).toMatch(/or HOSTED_VLLM_API_BASE or VLLM_API_BASE, or pass --api-base\n$/);
  });
});
