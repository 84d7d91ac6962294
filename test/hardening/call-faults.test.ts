// Upstream faults against `llmpass call` (the built CLI, spawned), on real loopback sockets: each ends in exit 3 with
// one line naming what happened, within its timeout; what was printed before a fault is only ever a strict prefix of
// the body, and the exit code says it is not the whole. Piped (raw) and --pretty alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delayed, hang, resetBeforeHeaders, resetMidBody, sseChunks, startFakeUpstream, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { cutShort, sseThen, stallAfter } from '../fixtures/faults.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { assertBuilt, BIN, call, deadPort, runShell, shellQuote, spawnCli, stackLines, until, type CliResult } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const TIMEOUT_S = 1;
const FULL_JSON = JSON.stringify({ data: 'y'.repeat(4096) });

const routes: Record<string, FakeHandler> = {
  '/reset-before-headers': resetBeforeHeaders(),
  '/hang': hang(),
  '/reset-mid-body': resetMidBody(100, FULL_JSON),
  '/cut-short': cutShort(100, FULL_JSON),
  '/sse-reset': sseThen('reset', ['{"n":1}', '{"n":2}']),
  '/sse-close': sseThen('close', ['{"n":1}', '{"n":2}']),
  '/sse-stall': sseThen('stall', ['{"n":1}', '{"n":2}']),
  '/stall': stallAfter('first '),
  '/slow': delayed(600, status(200, FULL_JSON, { 'content-type': 'application/json' })),
  '/long-sse': sseChunks(Array.from({ length: 200 }, (_, n) => `{"n":${n}}`), 25),
};

let upstream: FakeServer;
let dead: string;

beforeAll(async () => {
  assertBuilt();
  upstream = await startFakeUpstream((req, res) => routes[req.path]!(req, res));
  dead = `http://127.0.0.1:${await deadPort()}`;
});

afterAll(async () => {
  await upstream?.close();
  cleanupTemp();
});

function callArgs(path: string, base = upstream.url, more: string[] = []): string[] {
  return ['hosted_vllm/m', path, '--api-base', base, '--timeout', String(TIMEOUT_S), '--retries', '0', '--json', '{}', ...more];
}

async function timed(args: string[]): Promise<CliResult & { ms: number }> {
  const started = performance.now();
  const result = await call(tempDir(), args);
  return { ...result, ms: performance.now() - started };
}

/** Exit 3, one line `llmpass: ...` matching `pattern`, no stack trace; stdout a strict prefix of `full`. */
function expectFault(result: CliResult, pattern: RegExp, full = ''): void {
  expect(result.code, result.stderr).toBe(3);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^llmpass: /);
  expect(lines[0]).toMatch(pattern);
  expect(stackLines(result.stderr)).toEqual([]);
  const out = result.stdout.toString();
  expect(full.startsWith(out), `stdout is not a prefix of the body: ${out}`).toBe(true);
  expect(out.length).toBeLessThan(Math.max(full.length, 1));
}

// Start-up of the CLI plus the fault itself: loose, for two cores shared with the rest of the suite. What it rules
// out is a hang (the default timeout is 600 s).
const START_MS = 6_000;
const SSE_SENT = 'data: {"n":1}\n\ndata: {"n":2}\n\n';
const SSE_FULL = `${SSE_SENT}data: {"n":3}\n\n`;

describe('call: upstream faults before the answer', () => {
  it('connection refused: exit 3, at once', async () => {
    const result = await timed(callArgs('x', dead));
    expectFault(result, /connection refused/);
    expect(result.ms).toBeLessThan(START_MS);
  });

  it('reset before headers: exit 3, at once', async () => {
    const result = await timed(callArgs('reset-before-headers'));
    expectFault(result, /reset|closed/);
    expect(result.ms).toBeLessThan(START_MS);
  });

  it('headers that never come: exit 3 after --timeout', async () => {
    const result = await timed(callArgs('hang'));
    expectFault(result, /no answer within 1s/);
    expect(result.ms).toBeLessThan(START_MS + TIMEOUT_S * 1000);
  });
});

describe('call: upstream faults once the body has begun', () => {
  // Piped (raw bytes) for each fault; --pretty (JSON buffered and rendered, SSE rendered per event) for one of each kind.
  for (const pretty of [false, true]) {
    const mode = pretty ? ['--pretty'] : [];
    const label = pretty ? ' (--pretty)' : '';

    it(`a 200 cut short of its content-length by a clean close${label}`, async () => {
      expectFault(await timed(callArgs('cut-short', upstream.url, mode)), /cut short/, pretty ? '' : FULL_JSON);
    });

    it(`reset mid-SSE${label}`, async () => {
      const result = await timed(callArgs('sse-reset', upstream.url, mode));
      expectFault(result, /cut short/, pretty ? '{"n":1}\n{"n":2}\n{"n":3}\n' : SSE_FULL);
    });

    it(`an SSE stream that stalls: exit 3 after --timeout of silence, what came printed${label}`, async () => {
      const result = await timed(callArgs('sse-stall', upstream.url, mode));
      expectFault(result, /went silent for 1s/, pretty ? '{"n":1}\n{"n":2}\n{"n":3}\n' : SSE_FULL);
      expect(result.stdout.toString()).toBe(pretty ? '{"n":1}\n{"n":2}\n' : SSE_SENT);
      expect(result.ms).toBeLessThan(START_MS + TIMEOUT_S * 1000);
    });
  }

  it('reset mid-body', async () => {
    expectFault(await timed(callArgs('reset-mid-body')), /cut short/, FULL_JSON);
  });

  it('a clean close mid-SSE, without the chunked terminator', async () => {
    expectFault(await timed(callArgs('sse-close')), /cut short|closed/, SSE_FULL);
  });

  it('a plain body that stalls: exit 3 after --timeout of silence', async () => {
    const result = await timed(callArgs('stall'));
    expectFault(result, /went silent for 1s/, 'first second');
    expect(result.stdout.toString()).toBe('first ');
  });
});

describe('call: a slow upstream under many concurrent calls', () => {
  it('5 calls at once to an upstream taking 600 ms: all exit 0 with the whole body', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => call(tempDir(), callArgs('slow'))));
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.toString()).toBe(FULL_JSON);
    }
  });

  it('5 calls at once to an upstream that never answers: all exit 3 within the timeout', async () => {
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => call(tempDir(), callArgs('hang'))));
    for (const result of results) expectFault(result, /no answer within 1s/);
    expect(performance.now() - started).toBeLessThan(START_MS * 2 + TIMEOUT_S * 1000);
  });
});

describe('call: the reader goes away', () => {
  it('`| head -c 10` on a stream: exit 0, nothing on stderr, the upstream request aborted', async () => {
    const before = upstream.requests.length;
    const command = [process.execPath, BIN, 'call', ...callArgs('long-sse')].map(shellQuote).join(' ');
    const result = await runShell(`{ ${command}; echo "exit=$?" >&2; } | head -c 10`, tempDir());
    expect(result.stdout.toString()).toBe('data: {"n"');
    expect(result.stderr).toBe('exit=0\n');
    await until(() => upstream.requests[before]?.aborted === true, 3_000);
  });

  it('`| head -c 10` with --pretty: the same', async () => {
    const before = upstream.requests.length;
    const command = [process.execPath, BIN, 'call', ...callArgs('long-sse'), '--pretty'].map(shellQuote).join(' ');
    const result = await runShell(`{ ${command}; echo "exit=$?" >&2; } | head -c 10`, tempDir());
    expect(result.stdout.toString()).toBe('{"n":0}\n{"');
    expect(result.stderr).toBe('exit=0\n');
    await until(() => upstream.requests[before]?.aborted === true, 3_000);
  });

  it('Ctrl-C mid-stream with --pretty: exit 130, one line, the upstream request aborted', async () => {
    const before = upstream.requests.length;
    const running = spawnCli({ args: ['call', ...callArgs('long-sse'), '--pretty'], cwd: tempDir() });
    await until(() => running.chunks.length > 0);
    running.child.kill('SIGINT');
    const result = await running.result;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/^llmpass: interrupted[^\n]*\n$/);
    await until(() => upstream.requests[before]?.aborted === true, 3_000);
  });
});
