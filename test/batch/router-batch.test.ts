// router.batch(): the library's face of batch calls, against lean loopback upstreams.
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchEvent, BatchResult } from '../../src/batch/types.ts';
import { Router } from '../../src/router/router.ts';
import { startBatchUpstream, type AnswerFn, type BatchUpstream } from './batch-upstream.ts';

const servers: BatchUpstream[] = [];
async function upstream(answer?: AnswerFn, options?: { keep?: boolean }): Promise<BatchUpstream> {
  const server = await startBatchUpstream(answer, options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const entry = (alias: string, base: string) => ({ model_name: alias, litellm_params: { model: `hosted_vllm/${alias}-upstream`, api_base: base } });
const payloads = (n: number) => Array.from({ length: n }, (_, i) => ({ i: i + 1 }));
const iOf = (seen: { json: unknown }) => (seen.json as { i: number }).i;

async function collect(results: AsyncIterable<BatchResult>): Promise<BatchResult[]> {
  const all: BatchResult[] = [];
  for await (const result of results) all.push(result);
  return all;
}

describe('router.batch', () => {
  it('answers every payload in input order under random latency, the model swapped, never more than `concurrency` in flight', async () => {
    const server = await upstream((seen) => ({ body: { echo: seen.json }, delayMs: Math.random() * 25 }));
    const router = new Router({ modelList: [entry('m', server.url)] });
    const results = await collect(router.batch(payloads(300), { model: 'm', endpoint: 'classify', concurrency: 12 }));
    expect(results.map((r) => r.line)).toEqual(payloads(300).map((p) => p.i));
    expect(results.every((r) => 'status' in r && r.status === 200)).toBe(true);
    expect(results[41]).toEqual({ line: 42, status: 200, body: { echo: { model: 'm-upstream', i: 42 } } });
    expect(server.peak).toBeLessThanOrEqual(12);
    expect(server.peak).toBeGreaterThan(6);
  });

  it('ordered: false gives each result as it finishes', async () => {
    const server = await upstream((seen) => ({ body: {}, delayMs: iOf(seen) === 1 ? 300 : 0 }));
    const router = new Router({ modelList: [entry('m', server.url)] });
    const results = await collect(router.batch(payloads(20), { model: 'm', endpoint: 'x', ordered: false }));
    expect(results).toHaveLength(20);
    expect(results.at(-1)!.line).toBe(1);
    expect(new Set(results.map((r) => r.line)).size).toBe(20);
  });

  it('a failing line is a result in its place, and the others go on', async () => {
    const server = await upstream((seen) =>
      iOf(seen) === 5 ? { status: 400, body: { object: 'error', message: 'input too long', type: 'BadRequestError' } } : { body: { ok: iOf(seen) } },
    );
    const router = new Router({ modelList: [entry('m', server.url)] });
    const results = await collect(router.batch(payloads(9), { model: 'm', endpoint: 'x' }));
    expect(results[4]).toEqual({ line: 5, error: { status: 400, message: 'HTTP 400 Bad Request: input too long' } });
    expect(results.filter((r) => 'error' in r)).toHaveLength(1);
    expect(results[8]).toMatchObject({ line: 9, status: 200, body: { ok: 9 } });
  });

  it('an unreachable upstream fails each line with its code, without throwing', async () => {
    const router = new Router({ modelList: [entry('m', 'http://127.0.0.1:9')], numRetries: 0 });
    const results = await collect(router.batch([{}, {}], { model: 'm', endpoint: 'x' }));
    expect(results.map((r) => 'error' in r && r.error.code)).toEqual(['LLMPASS_NETWORK', 'LLMPASS_NETWORK']);
  });

  it('spreads the lines over the deployments of an alias', async () => {
    const [a, b] = [await upstream(), await upstream()];
    const router = new Router({ modelList: [entry('m', a.url), entry('m', b.url)] });
    const results = await collect(router.batch(payloads(400), { model: 'm', endpoint: 'x', concurrency: 8 }));
    expect(results.filter((r) => 'status' in r)).toHaveLength(400);
    expect(a.count + b.count).toBe(400);
    expect(Math.min(a.count, b.count)).toBeGreaterThan(120);
  });

  it('a 429 with Retry-After halves the window and pauses the whole batch, then it grows back', async () => {
    let limitedUntil = 0;
    const server = await upstream(
      (seen) => {
        if (iOf(seen) === 30 && limitedUntil === 0) limitedUntil = performance.now() + 300;
        return performance.now() < limitedUntil ? { status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '0.4' } } : { body: {}, delayMs: 5 };
      },
      { keep: true },
    );
    const router = new Router({ modelList: [entry('m', server.url)], maxBackoffMs: 400 });
    const events: BatchEvent[] = [];
    const results = await collect(router.batch(payloads(200), { model: 'm', endpoint: 'x', concurrency: 16, onEvent: (e) => events.push(e) }));
    expect(results.every((r) => 'status' in r)).toBe(true);
    const windows = events.filter((e) => e.type === 'window');
    expect(windows[0]).toMatchObject({ limit: 8, max: 16 });
    expect(windows[0]!.type === 'window' && windows[0]!.pauseMs).toBeGreaterThan(300);
    // Halved once per round, not once per 429 of the same burst.
    expect(Math.min(...windows.map((e) => (e.type === 'window' ? e.limit : 16)))).toBeGreaterThanOrEqual(4);
    expect(windows.at(-1)).toMatchObject({ limit: 16 });
    expect(server.count).toBeGreaterThan(200);
  });

  it('while a Retry-After pause lasts, no new line is sent even when slots are free', async () => {
    let limitedUntil = 0;
    const server = await upstream(
      (seen) => {
        if (iOf(seen) === 30 && limitedUntil === 0) limitedUntil = performance.now() + 200;
        return performance.now() < limitedUntil ? { status: 429, body: {}, headers: { 'retry-after': '0.5' } } : { body: {}, delayMs: 5 };
      },
      { keep: true },
    );
    // No retries: a line answered 429 fails at once and frees its slot; only the batch's pause holds the others.
    const router = new Router({ modelList: [entry('m', server.url)], numRetries: 0 });
    const results = await collect(router.batch(payloads(1000), { model: 'm', endpoint: 'x', concurrency: 16 }));
    const limited = results.filter((r) => 'error' in r);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((r) => 'error' in r && r.error.status === 429)).toBe(true);
    expect(results).toHaveLength(1000);
    const start = server.seen.find((s) => iOf(s) === 30)!.at;
    const last429 = Math.max(...server.seen.filter((s) => s.at < limitedUntil).map((s) => s.at));
    const during = server.seen.filter((s) => s.at > last429 + 30 && s.at < start + 470);
    expect(during.map(iOf)).toEqual([]);
  });

  it('stop: reads no more, lets what is in flight finish and gives its results', async () => {
    const server = await upstream(() => ({ body: {}, delayMs: 100 }));
    const router = new Router({ modelList: [entry('m', server.url)] });
    const stop = new AbortController();
    const results: BatchResult[] = [];
    for await (const result of router.batch(payloads(1000), { model: 'm', endpoint: 'x', concurrency: 4, stop: stop.signal })) {
      results.push(result);
      stop.abort();
    }
    expect(results.length).toBeGreaterThanOrEqual(4);
    expect(results.length).toBeLessThanOrEqual(8);
    expect(results.every((r) => 'status' in r)).toBe(true);
    expect(results.map((r) => r.line)).toEqual(results.map((_, i) => i + 1));
    expect(server.count).toBe(results.length);
  });

  it('signal: aborts what is in flight; those lines fail as LLMPASS_ABORTED', async () => {
    const server = await upstream(() => ({ hang: true }));
    const router = new Router({ modelList: [entry('m', server.url)] });
    const abort = new AbortController();
    const pending = collect(router.batch(payloads(100), { model: 'm', endpoint: 'x', concurrency: 3, signal: abort.signal }));
    while (server.count < 3) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    const results = await pending;
    expect(results.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(results.every((r) => 'error' in r && r.error.code === 'LLMPASS_ABORTED')).toBe(true);
    while (server.aborted < 3) await new Promise((r) => setTimeout(r, 5));
  });

  it('a consumer that stops early aborts the requests still in flight', async () => {
    const server = await upstream((seen) => (iOf(seen) === 1 ? { body: {} } : { hang: true }));
    const router = new Router({ modelList: [entry('m', server.url)] });
    for await (const result of router.batch(payloads(50), { model: 'm', endpoint: 'x', concurrency: 5 })) {
      expect(result.line).toBe(1);
      break;
    }
    while (server.aborted < 4) await new Promise((r) => setTimeout(r, 5));
    expect(server.count).toBe(5);
  });

  it('takes any iterable, sync or async, and reads it only as fast as the window allows', async () => {
    const server = await upstream(() => ({ body: {}, delayMs: 20 }));
    const router = new Router({ modelList: [entry('m', server.url)] });
    let pulled = 0;
    async function* source() {
      for (let i = 1; i <= 40; i++) {
        pulled = i;
        yield { i };
      }
    }
    let maxAhead = 0;
    let seen = 0;
    for await (const _ of router.batch(source(), { model: 'm', endpoint: 'x', concurrency: 2 })) {
      seen += 1;
      maxAhead = Math.max(maxAhead, pulled - seen);
    }
    expect(seen).toBe(40);
    // At most the reorder buffer (4 windows of 2) ahead of the consumer.
    expect(maxAhead).toBeLessThanOrEqual(8);
  });
});
