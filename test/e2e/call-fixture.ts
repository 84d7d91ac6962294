// The shared set-up of the `llmpass call` end-to-end files (test/e2e/call-*.test.ts): the fake upstreams on loopback
// and the project config that names them. Each file calls useCallFixture() and gets its own servers.
import { afterAll, beforeAll, expect } from 'vitest';
import { anthropicLike, echo, openAiLike, startFakeUpstream, type FakeHandler, type FakeServer } from '../fixtures/fake-upstream.ts';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import { assertBuilt, stackLines, type CliResult } from '../support/cli.ts';
import { startTapProxy, type TapProxy } from '../support/tap-proxy.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

export const SERVED = DEFAULT_SERVED_MODEL; // papluca/xlm-roberta-base-language-detection
export const SEED_ALIAS = 'roberta-base-language-detection';
export const VLLM_KEY = 'sk-vllm-e2e-key-0001';
export const OPENAI_KEY = 'sk-openai-e2e-key-0002';
export const ANTHROPIC_KEY = 'sk-ant-e2e-key-0003';

export const servers: Array<{ close(): Promise<void> }> = [];
export let vllm: FakeServer;
export let vllmKeyed: FakeServer;
export let upstream: FakeServer; // echo()
export let openai: FakeServer;
export let anthropic: FakeServer;
export let seedTap: TapProxy;
export let project: string;

export async function fake(handler?: FakeHandler): Promise<FakeServer> {
  const server = await startFakeUpstream(handler);
  servers.push(server);
  return server;
}

export function json(result: CliResult): Record<string, unknown> {
  return JSON.parse(result.stdout.toString('utf8')) as Record<string, unknown>;
}

/** What the echo() fake saw, as it answered it. */
export interface Echoed {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  json: Record<string, unknown> | null;
}
export const echoed = (result: CliResult) => json(result) as unknown as Echoed;

export function expectOk(result: CliResult): void {
  expect(result.stderr, 'stderr').toBe('');
  expect(result.code, result.stderr).toBe(0);
}

/** One error line on stderr, `llmpass: ...`, and no stack trace. */
export function expectOneLineError(result: CliResult, pattern?: RegExp): string {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^llmpass: \S/);
  expect(stackLines(result.stderr)).toEqual([]);
  if (pattern) expect(lines[0]).toMatch(pattern);
  return lines[0]!;
}

/** Starts this file's upstreams and writes its project config before its tests; stops them after. */
export function useCallFixture(): void {
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
  await Promise.all(servers.splice(0).map((server) => server.close()));
  cleanupTemp();
});
}
