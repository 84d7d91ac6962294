import { describe, expect, it } from 'vitest';
import { Router, type RouterEvent } from '../../src/router/router.ts';
import { NetworkError } from '../../src/errors.ts';
import { echo, resetMidBody, sequence, status } from '../fixtures/fake-upstream.ts';
import { fakeUpstreams, vllmEntry } from '../support/upstreams.ts';

const upstream = fakeUpstreams(() => echo());
const entry = vllmEntry;

describe('Router', () => {
  it('spreads calls over deployments in proportion to their weight', async () => {
    const [a, b] = [await upstream(), await upstream()];
    const router = new Router({ modelList: [entry('m', a.url, { weight: 3 }), entry('m', b.url, { weight: 1 })] });
    for (let i = 0; i < 200; i++) await (await router.passthrough({ model: 'm', endpoint: 'classify', json: {} })).arrayBuffer();
    const share = a.requests.length / 200;
    expect(a.requests.length + b.requests.length).toBe(200);
    expect(share).toBeGreaterThan(0.62);
    expect(share).toBeLessThan(0.88);
  });

  it('least-busy sends a new call to the deployment with fewer in flight', async () => {
    const slow = () => (_req: unknown, res: { end(body: string): void }) => void setTimeout(() => res.end('{}'), 300);
    const [a, b] = [await upstream(slow()), await upstream(slow())];
    const router = new Router({ modelList: [entry('m', a.url), entry('m', b.url)], routingStrategy: 'least-busy' });
    const first = router.passthrough({ model: 'm', endpoint: 'x', json: {} });
    while (a.requests.length + b.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const idle = a.requests.length === 1 ? b : a;
    const second = router.passthrough({ model: 'm', endpoint: 'x', json: {} });
    await Promise.all([(await first).arrayBuffer(), (await second).arrayBuffer()]);
    expect(idle.requests.length).toBe(1);
    expect(a.requests.length + b.requests.length).toBe(2);
  });

  it('retries a 503 on another deployment and honours Retry-After', async () => {
    const failing = await upstream(status(503, { error: 'busy' }, { 'retry-after': '0.2' }));
    const healthy = await upstream();
    const events: RouterEvent[] = [];
    const router = new Router({ modelList: [entry('m', failing.url, { weight: 1000 }), entry('m', healthy.url, { weight: 0.001 })] });
    const started = Date.now();
    const res = await router.passthrough({ model: 'm', endpoint: 'classify', json: {}, onEvent: (e) => events.push(e) });
    expect(res.status).toBe(200);
    expect(failing.requests.length).toBe(1);
    expect(healthy.requests.length).toBe(1);
    const retry = events.find((e) => e.type === 'retry');
    expect(retry && retry.type === 'retry' && retry.delayMs).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it('returns the last HTTP answer when every retry failed, and gives up after num_retries', async () => {
    const failing = await upstream(status(500, { error: 'down' }));
    const router = new Router({ modelList: [entry('m', failing.url)], numRetries: 2, maxBackoffMs: 10 });
    const res = await router.passthrough({ model: 'm', endpoint: 'x', json: {} });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'down' });
    expect(failing.requests.length).toBe(3);
  });

  it('does not retry once the first byte has reached the caller', async () => {
    const cut = await upstream(sequence(resetMidBody(64), echo()));
    const router = new Router({ modelList: [entry('m', cut.url)], maxBackoffMs: 10 });
    const res = await router.passthrough({ model: 'm', endpoint: 'x', json: {} });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toBeTruthy();
    expect(cut.requests.length).toBe(1);
  });

  it('does not retry a streamed body, which cannot be replayed', async () => {
    const failing = await upstream(status(503, 'busy'));
    const router = new Router({ modelList: [entry('m', failing.url)], maxBackoffMs: 10 });
    const body = (async function* () {
      yield new TextEncoder().encode('audio bytes');
    })();
    const res = await router.passthrough({ model: 'm', endpoint: 'x', body, headers: { 'content-type': 'audio/wav' } });
    expect(res.status).toBe(503);
    expect(failing.requests.length).toBe(1);
  });

  it('cools a deployment down after allowed_fails failures, but never the only one', async () => {
    const dead = 'http://127.0.0.1:9'; // discard port: connection refused
    const healthy = await upstream();
    const events: RouterEvent[] = [];
    const router = new Router({
      modelList: [entry('m', dead, { weight: 1000 }), entry('m', healthy.url, { weight: 0.001 })],
      allowedFails: 1,
      cooldownTime: 60,
      maxBackoffMs: 5,
    });
    await (await router.passthrough({ model: 'm', endpoint: 'x', json: {}, onEvent: (e) => events.push(e) })).arrayBuffer();
    expect(events.some((e) => e.type === 'cooldown')).toBe(true);
    const attemptsBefore = events.filter((e) => e.type === 'attempt').length;
    events.length = 0;
    await (await router.passthrough({ model: 'm', endpoint: 'x', json: {}, onEvent: (e) => events.push(e) })).arrayBuffer();
    // The dead one is skipped while cooling: one attempt, straight to the healthy one.
    expect(events.filter((e) => e.type === 'attempt').length).toBe(1);
    expect(events.filter((e) => e.type === 'skip').map((e) => e.type === 'skip' && e.deployment.id)).toEqual(['m#0']);
    expect(attemptsBefore).toBe(2);

    const single = new Router({ modelList: [entry('s', dead)], allowedFails: 1, numRetries: 1, maxBackoffMs: 5 });
    const singleEvents: RouterEvent[] = [];
    await expect(single.passthrough({ model: 's', endpoint: 'x', json: {}, onEvent: (e) => singleEvents.push(e) })).rejects.toBeInstanceOf(NetworkError);
    expect(singleEvents.some((e) => e.type === 'cooldown')).toBe(false);
  });

  it('falls back to another alias when every deployment failed', async () => {
    const failing = await upstream(status(502, 'bad gateway'));
    const backup = await upstream();
    const router = new Router({
      modelList: [entry('primary', failing.url), entry('backup', backup.url)],
      fallbacks: [{ primary: ['backup'] }],
      numRetries: 0,
    });
    const res = await router.passthrough({ model: 'primary', endpoint: 'classify', json: { model: 'primary' } });
    expect(res.status).toBe(200);
    expect((backup.requests[0]!.json as { model: string }).model).toBe('backup-upstream');
  });

  it('serves wildcard routes with the matched part as the upstream model; an exact alias wins', async () => {
    const wild = await upstream();
    const exact = await upstream();
    const router = new Router({
      modelList: [
        { model_name: 'hosted_vllm/*', litellm_params: { model: 'hosted_vllm/*', api_base: wild.url } },
        { model_name: 'hosted_vllm/special', litellm_params: { model: 'hosted_vllm/special-upstream', api_base: exact.url } },
      ],
    });
    await (await router.passthrough({ model: 'hosted_vllm/org/model-x', endpoint: 'classify', json: {} })).arrayBuffer();
    await (await router.passthrough({ model: 'hosted_vllm/special', endpoint: 'classify', json: {} })).arrayBuffer();
    expect((wild.requests[0]!.json as { model: string }).model).toBe('org/model-x');
    expect((exact.requests[0]!.json as { model: string }).model).toBe('special-upstream');
  });

  it('calls provider/model directly when it is no alias, as LiteLLM passthrough_on_no_deployment', async () => {
    const server = await upstream();
    const router = new Router({ modelList: [] });
    const res = await router.passthrough({ model: 'hosted_vllm/papluca/x', apiBase: server.url, endpoint: 'classify', json: { model: 'ignored' } });
    expect(res.status).toBe(200);
    expect((server.requests[0]!.json as { model: string }).model).toBe('papluca/x');
  });
});

describe('wildcard routes and hostile model names', () => {
  it('a huge model name is not matched against wildcard patterns (no quadratic backtracking)', () => {
    const router = new Router({ modelList: [{ model_name: 'a*b*c*d', litellm_params: { model: 'hosted_vllm/*', api_base: 'http://127.0.0.1:9' } }] });
    const started = performance.now();
    expect(router.isAlias(`a${'b'.repeat(2_000_000)}`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(router.isAlias('aXbYcZd')).toBe(true);
  });
});
