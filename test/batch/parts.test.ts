// The batch's small parts: the adaptive window, JSON Lines reading, the resume plan, the exit code table.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { AdaptiveWindow } from '../../src/batch/adaptive-window.ts';
import { readResume } from '../../src/cli/batch/batch-resume.ts';
import { BatchTally } from '../../src/cli/batch/batch-tally.ts';
import { payloadLines, readLines, countPayloadLines } from '../../src/cli/batch/jsonl-input.ts';
import type { JsonBody } from '../../src/transport/json-body.ts';
import { LineSet } from '../../src/cli/batch/line-set.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

afterAll(() => cleanupTemp());

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('AdaptiveWindow', () => {
  it('halves once per round, pauses for Retry-After (capped), and grows back by one per window of answers', () => {
    let now = 1_000;
    const window = new AdaptiveWindow(16, { maxPauseMs: 2_000, now: () => now });
    const round = window.round;
    const next = window.slowDown(round, 500);
    expect(window.limit).toBe(8);
    expect(window.pausedFor()).toBe(500);
    // Another 429 of the same burst (a request started before the cut) does not cut again.
    window.slowDown(round, 10_000);
    expect(window.limit).toBe(8);
    expect(window.pausedFor()).toBe(2_000);
    // A request started after the cut that is refused again does.
    window.slowDown(next, undefined);
    expect(window.limit).toBe(4);
    now += 2_000;
    expect(window.pausedFor()).toBe(0);
    let answers = 0;
    while (window.limit < 16) {
      window.grow();
      answers += 1;
    }
    expect(answers).toBeGreaterThan(40);
    expect(answers).toBeLessThan(140);
    expect(window.grow()).toBe(false);
  });

  it('never goes below one', () => {
    const window = new AdaptiveWindow(2);
    for (let i = 0; i < 5; i++) window.slowDown(window.round, undefined);
    expect(window.limit).toBe(1);
  });
});

describe('JSON Lines input', () => {
  it('splits LF and CRLF lines across chunk boundaries, multi-byte characters included', async () => {
    const text = '{"a":"é"}\r\n\n  \n{"b":"日本"}\n{"c":1}';
    const bytes = Buffer.from(text);
    const chunks = Array.from(bytes).map((byte) => Buffer.from([byte]));
    expect(await all(readLines(Readable.from(chunks)))).toEqual(['{"a":"é"}', '', '  ', '{"b":"日本"}', '{"c":1}']);
  });

  it('numbers payloads by their input line, skips blank lines, and turns a bad line into a failed input', async () => {
    const lines = ['{"a":1}', '', 'nope', '{"b":2}'];
    // A payload is the line's bytes, scanned (its model is spliced when sent): read back here as values.
    const inputs = (await all(payloadLines(Readable.from(lines)))).map((input) => ('payload' in input ? { line: input.line, payload: JSON.parse(Buffer.from((input.payload as JsonBody).bytes).toString()) as unknown } : input));
    expect(inputs).toEqual([
      { line: 1, payload: { a: 1 } },
      { line: 3, error: { code: 'LLMPASS_INVALID_JSON', message: expect.stringMatching(/^line 3 is not JSON/) } },
      { line: 4, payload: { b: 2 } },
    ]);
  });

  it('a line that is not UTF-8, or nested past the limit, is a failed input, never sent with U+FFFD', async () => {
    const lines = [Buffer.concat([Buffer.from('{"input":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]), Buffer.from(`${'['.repeat(300)}${']'.repeat(300)}`)];
    expect(await all(payloadLines(Readable.from(lines)))).toEqual([
      { line: 1, error: { code: 'LLMPASS_INVALID_JSON', message: 'line 1 is not JSON (it is not UTF-8, as JSON must be)' } },
      { line: 2, error: { code: 'LLMPASS_INVALID_JSON', message: expect.stringMatching(/^line 2 is nested too deeply \(over 256 levels/) } },
    ]);
  });

  it('skips the payloads a resume plan marks done', async () => {
    const lines = ['{"a":1}', '', '{"b":2}', '{"c":3}'];
    let skipped = 0;
    const inputs = await all(payloadLines(Readable.from(lines), { done: (_line, index) => index === 2, onSkip: () => (skipped += 1) }));
    expect(inputs.map((i) => i.line)).toEqual([1, 4]);
    expect(skipped).toBe(1);
  });

  it('counts payload lines in a file, blank ones left out', async () => {
    expect(await countPayloadLines(Readable.from([Buffer.from('{}\n\n {}\r\n  \n{}')]))).toBe(3);
    expect(await countPayloadLines(Readable.from([Buffer.from('{}\n')]))).toBe(1);
  });
});

describe('resume plan', () => {
  const dir = tempDir();
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('--envelope: the lines named, aborted ones left to run again', async () => {
    const path = file('env.jsonl', '{"line":3,"status":200,"body":{}}\n{"line":1,"error":{"status":500,"message":"x"}}\n{"line":2,"error":{"code":"LLMPASS_ABORTED","message":"x"}}\n');
    const plan = await readResume(path, true);
    expect([1, 2, 3, 4].map((line) => plan.done(line, 0))).toEqual([true, false, true, false]);
    expect(plan).toMatchObject({ answered: 2, aborted: 1, cutShort: false });
  });

  it('in order: the k-th record answers the k-th payload; a cut-short last record is left out', async () => {
    const path = file('bare.jsonl', '{"label":"en"}\n{"line":4,"error":{"code":"LLMPASS_ABORTED","message":"x"}}\n{"label":"fr"}\n{"label":');
    const plan = await readResume(path, false);
    expect([1, 2, 3, 4].map((index) => plan.done(100, index))).toEqual([true, false, true, false]);
    expect(plan).toMatchObject({ answered: 2, aborted: 1, cutShort: true });
  });

  it('refuses a file that is not envelopes when --envelope is set, and a missing file', async () => {
    await expect(readResume(file('bodies.jsonl', '{"label":"en"}\n'), true)).rejects.toThrow(/has no "line"; was the file written with --envelope/);
    await expect(readResume(join(dir, 'missing.jsonl'), true)).rejects.toThrow(/--resume .*missing.jsonl: cannot read \(ENOENT\)/);
  });

  it('LineSet holds large line numbers in little room', () => {
    const set = new LineSet();
    set.add(5);
    set.add(5);
    set.add(9_999_999);
    expect([set.has(5), set.has(6), set.has(9_999_999), set.has(50_000_000), set.size]).toEqual([true, false, true, false, 2]);
  });
});

describe('batch exit code', () => {
  const tally = (...errors: Array<{ status?: number; code?: string }>) => {
    const t = new BatchTally();
    t.add({ line: 1, status: 200, body: {} });
    errors.forEach((error, i) => t.add({ line: i + 2, error: { ...error, message: 'x' } }));
    return t;
  };
  it('0 all ok; 3 unreachable before 5xx before 4xx before anything else; 130 interrupted', () => {
    expect(tally().exitCode(false)).toBe(0);
    expect(tally({ status: 404 }, { status: 503 }, { code: 'LLMPASS_TIMEOUT' }).exitCode(false)).toBe(3);
    expect(tally({ status: 404 }, { status: 503 }, { code: 'LLMPASS_INVALID_JSON' }).exitCode(false)).toBe(5);
    expect(tally({ status: 429 }, { code: 'LLMPASS_INVALID_JSON' }).exitCode(false)).toBe(4);
    expect(tally({ code: 'LLMPASS_INVALID_JSON' }).exitCode(false)).toBe(1);
    expect(tally().exitCode(true)).toBe(130);
  });

  it('the summary says how many failed and why, the most frequent first', () => {
    const t = tally({ status: 429 }, { code: 'LLMPASS_NETWORK' }, { status: 429 });
    expect(t.outcome()).toBe('1 ok, 3 failed (2 HTTP 429, 1 unreachable)');
  });
});
