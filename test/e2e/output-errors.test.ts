// Writing the answer fails (a full disk, stdout to /dev/full): one line naming where it was going and why, exit 1,
// whatever the answer's size; never a stack, never the upstream blamed for our own failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, status } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { assertBuilt, baseEnv, runCli } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

let small: FakeServer;
let big: FakeServer;
let project: string;

beforeAll(async () => {
  assertBuilt();
  small = await startFakeUpstream(status(200, '{"ok":true}', { 'content-type': 'application/json' }));
  big = await startFakeUpstream(status(200, 'x'.repeat(100_000)));
  project = tempConfig(`model_list:
  - model_name: small
    litellm_params: { model: hosted_vllm/m, api_base: "${small.url}" }
  - model_name: big
    litellm_params: { model: hosted_vllm/m, api_base: "${big.url}" }
`);
});

afterAll(async () => {
  await Promise.all([small?.close(), big?.close()]);
  cleanupTemp();
});

/** The CLI with its stdout on /dev/full, as `llmpass call ... > /dev/full`. */
const toFullStdout = ['/bin/sh', '-c', 'exec "$@" > /dev/full', 'sh'];

describe('an answer that cannot be written', () => {
  for (const alias of ['small', 'big']) {
    it(`${alias} answer, stdout on a full disk: one line naming stdout, exit 1`, async () => {
      const result = await runCli({ args: ['call', alias, 'v1/models'], cwd: project, env: baseEnv(), wrapper: toFullStdout });
      expect(result.stderr).toBe('llmpass: cannot write to stdout: no space left on device (ENOSPC)\n');
      expect(result.code).toBe(1);
    });

    it(`${alias} answer, --output to a full disk: one line naming the file, exit 1`, async () => {
      const result = await runCli({ args: ['call', alias, 'v1/models', '--output', '/dev/full'], cwd: project, env: baseEnv() });
      expect(result.stderr).toBe('llmpass: cannot write to /dev/full: no space left on device (ENOSPC)\n');
      expect(result.code).toBe(1);
    });
  }

  it('a dry run and a model listing to a full disk fail the same way', async () => {
    for (const args of [['call', 'small', 'v1/models', '--dry-run'], ['models']]) {
      const result = await runCli({ args, cwd: project, env: baseEnv(), wrapper: toFullStdout });
      expect(result.stderr, args.join(' ')).toBe('llmpass: cannot write to stdout: no space left on device (ENOSPC)\n');
      expect(result.code).toBe(1);
    }
  });
});
