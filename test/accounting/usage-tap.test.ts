// Usage is read from every streamed answer on the side: the counter must stay linear in the stream and hold a
// bounded part of an absurdly long line, while the bytes pass through untouched.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { tapUsage, UsageCounter } from '../../src/accounting/usage-tap.ts';
import { openAiUsage } from '../../src/providers/usage-readers.ts';

const CHUNK = 64 * 1024;
const USAGE = 'data: {"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\n';

/** One `data:` line of `size` characters, its JSON holding usage at the very end (too long to be read). */
function hugeLine(size: number): string {
  const head = 'data: {"text":"';
  const tail = '","usage":{"prompt_tokens":1000,"completion_tokens":1}}';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}

const sse = () => new UsageCounter('text/event-stream', openAiUsage);

describe('UsageCounter', () => {
  it("parses only the events its reader's hint says may hold usage (an OpenAI stream's `\"usage\":null` events are skipped)", () => {
    let parsed = 0;
    const counting = Object.assign((data: unknown, eventType: string | undefined) => (parsed++, openAiUsage(data, eventType)), { usageKey: openAiUsage.usageKey, mentions: openAiUsage.mentions });
    const events = new UsageCounter('text/event-stream', counting);
    const delta = 'data: {"choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}\n\n';
    events.push(Buffer.from(delta.repeat(100) + 'data: {"choices":[],"usage": {"prompt_tokens":5,"completion_tokens":100}}\n\ndata: [DONE]\n\n'));
    expect(events.end()).toMatchObject({ input: 5, output: 100 });
    expect(parsed).toBe(1);
  });

  it('holds a bounded part of a 20 MB line fed in chunks, and still reads the usage after it', () => {
    const events = sse();
    const text = Buffer.from(`${hugeLine(20 * 1024 * 1024)}\n\n${USAGE}data: [DONE]\n\n`);
    let most = 0;
    for (let at = 0; at < text.length; at += CHUNK) {
      events.push(text.subarray(at, at + CHUNK));
      most = Math.max(most, events.held);
    }
    expect(most).toBeLessThanOrEqual(8 * 1024 * 1024 + CHUNK);
    expect(events.end()).toMatchObject({ input: 3, output: 4 });
  });

  it('reads a usage line cut into one-byte pieces, and a last line with no newline', () => {
    const events = sse();
    for (const byte of Buffer.from(`event: x\n${USAGE}`)) events.push(Buffer.from([byte]));
    expect(events.end()).toMatchObject({ input: 3, output: 4 });
    const last = sse();
    last.push(Buffer.from(': comment\ndata: {"usage":{"prompt_tokens":9,"total_tokens":9}}'));
    expect(last.end()).toMatchObject({ input: 9, output: 0 });
  });

  it('finds the answering model past any number of "model" values, and keeps the reader\'s report as its own copy', () => {
    const turns = Array.from({ length: 5_000 }, () => '{"role": "model", "parts": [{"text": "model"}]}').join(',');
    const json = new UsageCounter('application/json', openAiUsage, true);
    json.push(Buffer.from(`{"contents": [${turns}], "model" : "g\\"ünï\\"-1", "usage": {"prompt_tokens": 2, "completion_tokens": 3}}`));
    expect(json.end()).toMatchObject({ input: 2, output: 3 });
    expect(json.model).toBe('g"ünï"-1');
    const shared = Object.freeze({ input: 1, output: 1 });
    const frozen = Object.assign(() => shared, { mentions: /usage/ });
    const events = new UsageCounter('text/event-stream', frozen);
    events.push(Buffer.from('data: {"usage":1}\n\ndata: {"usage":2}\n\n'));
    expect(events.end()).toMatchObject({ input: 1, output: 1 });
  });

  it('an answer without usage has unknown tokens, not 0', () => {
    const events = sse();
    events.push(Buffer.from('data: {"choices":[]}\n\ndata: [DONE]\n\n'));
    expect(events.end()).toEqual({ input: undefined, output: undefined, cacheRead: undefined, cacheWrite: undefined, reasoning: undefined });
  });
});

describe('tapUsage', () => {
  it('passes a 20 MB SSE line through byte for byte and counts the usage that follows', { timeout: 60_000 }, async () => {
    const text = Buffer.from(`${hugeLine(20 * 1024 * 1024)}\n\n${USAGE}`);
    const chunks: Buffer[] = [];
    for (let at = 0; at < text.length; at += CHUNK) chunks.push(text.subarray(at, at + CHUNK));
    let usage;
    const reply = tapUsage({ status: 200, statusText: 'OK', headers: [['content-type', 'text/event-stream']], body: Readable.from(chunks) }, openAiUsage, (u) => (usage = u));
    const hash = createHash('sha256');
    for await (const chunk of reply.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(text).digest('hex'));
    expect(usage).toMatchObject({ input: 3, output: 4 });
  });
});
