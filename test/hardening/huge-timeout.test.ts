// A timeout past what a timer holds (`timeout: 99999999`, meant as "never") is no timeout, in every face: the
// proxy and batches (undici's pool) and a one-shot call (node:http). It once overflowed undici's 32-bit timers
// into an immediate 504 "no answer within 99999999s" for every call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delayed, echo, startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { runCli } from '../support/cli.ts';
import { postJson, startProxyCli, stopAllProxies } from '../support/proxy.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';
import { vllmEntry } from '../support/upstreams.ts';

const NEVER = 99_999_999;
const MASTER_KEY = 'sk-llmpass-huge-timeout-7c1e';
let upstream: FakeServer;
let config: string;

beforeAll(async () => {
  // A short wait before the answer: an overflowed timer (1 ms) strikes first.
  upstream = await startFakeUpstream(delayed(100, echo()));
  config = JSON.stringify({ model_list: [vllmEntry('never', upstream.url, { timeout: NEVER })] });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

describe(`timeout: ${NEVER} (never)`, () => {
  it('the proxy relays the answer instead of a 504', async () => {
    const proxy = await startProxyCli({ config, env: { LLMPASS_MASTER_KEY: MASTER_KEY } });
    const answer = await postJson(`${proxy.url}/vllm/classify`, { model: 'never', input: 'x' }, MASTER_KEY);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json().json).toEqual({ model: 'never-upstream', input: 'x' });
  });

  it('a batch answers every line', async () => {
    const result = await runCli({ args: ['call', 'never', 'classify', '--jsonl', '--envelope'], cwd: tempConfig(config), input: '{"i":1}\n{"i":2}\n' });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.toString().trimEnd().split('\n').map((line) => JSON.parse(line) as { status?: number });
    expect(lines.map((line) => line.status)).toEqual([200, 200]);
  });

  it('a one-shot call with --timeout 99999999 is answered', async () => {
    const result = await runCli({ args: ['call', 'never', 'classify', '--json', '{}', '--timeout', String(NEVER)], cwd: tempConfig(config) });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.toString()).path).toBe('/classify');
  });
});
