// Upstream faults through `llmpass proxy`, on real loopback sockets: every fault ends in the documented status (502
// before the answer, 504 for a timeout) or, once the answer has begun, in a broken response: never a clean end that
// would pass a truncated body off as complete. Each within its timeout (--timeout 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hang, resetBeforeHeaders, resetMidBody, startFakeUpstream, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { cutShort, sseThen, stallAfter } from '../fixtures/faults.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { deadPort } from '../support/cli.ts';
import { exchange, type Outcome } from '../support/outcome.ts';
import { startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { expectProxyError } from '../support/proxy-error.ts';

const MASTER_KEY = 'sk-llmpass-faults-master-41d9';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const TIMEOUT_MS = 1_000;

const routes: Record<string, FakeHandler> = {
  '/reset-before-headers': resetBeforeHeaders(),
  '/hang': hang(),
  '/reset-mid-body': resetMidBody(100),
  '/cut-short': cutShort(100),
  '/sse-reset': sseThen('reset', ['{"n":1}', '{"n":2}']),
  '/sse-close': sseThen('close', ['{"n":1}', '{"n":2}']),
  '/sse-stall': sseThen('stall', ['{"n":1}', '{"n":2}']),
  '/stall': stallAfter('first '),
};

let upstream: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res) => routes[req.path]!(req, res));
  proxy = await startProxyCli({
    config: 'router_settings:\n  num_retries: 0\n',
    env: { LLMPASS_MASTER_KEY: MASTER_KEY, VLLM_API_BASE: upstream.url, OPENAI_API_BASE: `http://127.0.0.1:${await deadPort()}/v1` },
    args: ['--timeout', String(TIMEOUT_MS / 1000)],
  });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

const get = (path: string) => exchange(`${proxy.url}${path}`, { headers: AUTH });


/** The answer began (200) and then broke: the client sees an error, some bytes, never a clean end. */
function expectBroken(outcome: Outcome, prefix: string): void {
  expect(outcome.status).toBe(200);
  expect(outcome.ended, `a clean end after ${JSON.stringify(outcome.body.toString())}`).toBe(false);
  expect(outcome.error).toBeDefined();
  expect(outcome.body.toString().startsWith(prefix)).toBe(true);
}

describe('upstream faults before the answer', () => {
  it('connection refused: 502 naming the refusal, at once', async () => {
    const outcome = await get('/openai/v1/models');
    expectProxyError(outcome, 502, { message: /connection refused/ });
    expect(outcome.ms).toBeLessThan(1_500);
  });

  it('reset before headers: 502 naming the reset, at once', async () => {
    const outcome = await get('/vllm/reset-before-headers');
    expectProxyError(outcome, 502, { message: /reset|closed/ });
    expect(outcome.ms).toBeLessThan(1_500);
  });

  it('headers that never come: 504 after --timeout, not long after', async () => {
    const outcome = await get('/vllm/hang');
    expectProxyError(outcome, 504, { message: /no answer within 1s/ });
    expect(outcome.ms).toBeGreaterThan(TIMEOUT_MS - 50);
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + 1_500);
  });
});

describe('upstream faults once the answer has begun: a broken response, never a clean end', () => {
  it('reset mid-body (content-length)', async () => {
    const outcome = await get('/vllm/reset-mid-body');
    expectBroken(outcome, '{"data":"');
    expect(outcome.body.length).toBeLessThanOrEqual(100);
  });

  it('a 200 cut short of its content-length by a clean close (FIN)', async () => {
    const outcome = await get('/vllm/cut-short');
    expectBroken(outcome, '{"data":"');
    expect(Number(outcome.headers['content-length'])).toBeGreaterThan(outcome.body.length);
  });

  it('reset mid-SSE', async () => {
    expectBroken(await get('/vllm/sse-reset'), 'data: {"n":1}\n\ndata: {"n":2}\n\n');
  });

  it('a clean close mid-SSE, without the chunked terminator', async () => {
    expectBroken(await get('/vllm/sse-close'), 'data: {"n":1}\n\ndata: {"n":2}\n\n');
  });

  it('an SSE stream that stalls: cut after --timeout of silence', async () => {
    const outcome = await get('/vllm/sse-stall');
    expectBroken(outcome, 'data: {"n":1}\n\ndata: {"n":2}\n\n');
    expect(outcome.ms).toBeGreaterThan(TIMEOUT_MS);
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + 1_500);
  });

  it('a plain body that stalls: cut after --timeout of silence', async () => {
    const outcome = await get('/vllm/stall');
    expectBroken(outcome, 'first ');
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + 1_500);
  });

  it('every fault was logged with its outcome, and the upstream saw each request end', async () => {
    const lines = await proxy.waitForRequests(9);
    const byRoute = new Map(lines.map((line) => [String(line.route) + String(line.status), line]));
    expect(byRoute.size).toBeGreaterThan(1);
    for (const line of lines) expect(line.status).not.toBe(0);
    for (const broken of lines.filter((line) => line.status === 200)) expect(broken.error, JSON.stringify(broken)).toBeDefined();
  });
});
