// Token counting for `tpm` deployments reads every SSE answer on the side: it must stay linear in the stream and
// hold a bounded part of an absurdly long line, while the bytes pass through untouched.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SseUsage, tapUsage } from '../../src/router/usage.ts';

const CHUNK = 64 * 1024;
const USAGE = 'data: {"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\n';

/** One `data:` line of `size` characters, its JSON holding usage at the very end (too long to be read). */
function hugeLine(size: number): string {
  const head = 'data: {"text":"';
  const tail = '","usage":{"total_tokens":1000}}';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}

describe('SseUsage', () => {
  it('holds a bounded part of a 20 MB line fed in chunks, and still reads the usage after it', () => {
    const events = new SseUsage();
    const text = `${hugeLine(20 * 1024 * 1024)}\n\n${USAGE}data: [DONE]\n\n`;
    let most = 0;
    for (let at = 0; at < text.length; at += CHUNK) {
      events.push(text.slice(at, at + CHUNK));
      most = Math.max(most, events.held);
    }
    expect(most).toBeLessThanOrEqual(8 * 1024 * 1024 + CHUNK);
    expect(events.end()).toBe(7);
  });

  it('reads a usage line cut into one-character pieces, and a last line with no newline', () => {
    const events = new SseUsage();
    for (const char of `event: x\n${USAGE}`) events.push(char);
    expect(events.end()).toBe(7);
    const last = new SseUsage();
    last.push(': comment\ndata: {"usage":{"total_tokens":9}}');
    expect(last.end()).toBe(9);
  });

  it('drops a long line that is not data at once', () => {
    const events = new SseUsage();
    events.push(': ');
    events.push('y'.repeat(CHUNK));
    expect(events.held).toBe(0);
  });
});

describe('tapUsage', () => {
  it('passes a 20 MB SSE line through byte for byte and counts the usage that follows', { timeout: 60_000 }, async () => {
    const text = Buffer.from(`${hugeLine(20 * 1024 * 1024)}\n\n${USAGE}`);
    const chunks: Buffer[] = [];
    for (let at = 0; at < text.length; at += CHUNK) chunks.push(text.subarray(at, at + CHUNK));
    let tokens: number | undefined;
    const reply = tapUsage({ status: 200, statusText: 'OK', headers: [['content-type', 'text/event-stream']], body: Readable.from(chunks) }, (n) => (tokens = n));
    const hash = createHash('sha256');
    for await (const chunk of reply.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(text).digest('hex'));
    expect(tokens).toBe(7);
  });
});
