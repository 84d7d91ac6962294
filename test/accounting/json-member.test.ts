// The usage tap parses only an answer's usage member when it can prove the member sits at the top level; every
// case it cannot prove falls back to parsing the whole answer, so a wrong guess never changes a count.
import { describe, expect, it } from 'vitest';
import { topLevelObjectMember as spanOf } from '../../src/accounting/json-member.ts';
import { UsageCounter } from '../../src/accounting/usage-tap.ts';
import { openAiUsage } from '../../src/providers/usage-readers.ts';
import type { UsageReader } from '../../src/providers/types.ts';

const usage = '{"prompt_tokens":6,"total_tokens":6,"details":{"a":[1,{"b":"}","é":"ü"}]}}';

/** The member's text as the span gives it (from its name to its value's end), or undefined. */
function topLevelObjectMember(text: string, key: string): string | undefined {
  const bytes = Buffer.from(text);
  const span = spanOf(bytes, key);
  return span && bytes.toString('utf8', span.start, span.end);
}

describe('topLevelObjectMember', () => {
  it('finds the top-level member, whatever follows it at the top level', () => {
    expect(topLevelObjectMember(`{"data":[{"usage":1}],"usage":${usage}}`, 'usage')).toBe(`"usage":${usage}`);
    expect(topLevelObjectMember(` { "id": "x", "usage" :\n ${usage}, "fingerprint": "a}]\\"", "n": null, "list": [{}] }\n`, 'usage')).toBe(`"usage" :\n ${usage}`);
    expect(JSON.parse(`{${topLevelObjectMember(`{"text":"ünïcödé","usage":${usage}}`, 'usage')}}`)).toEqual({ usage: JSON.parse(usage) });
  });

  it('says undefined for a member it cannot prove is the top level one', () => {
    expect(topLevelObjectMember(`{"a":{"usage":${usage}}}`, 'usage')).toBeUndefined();
    expect(topLevelObjectMember(`{"usage":${usage},"a":{"usage":${usage}}}`, 'usage')).toBeUndefined();
    expect(topLevelObjectMember(`[{"usage":${usage}}]`, 'usage')).toBeUndefined();
    expect(topLevelObjectMember('{"usage":null}', 'usage')).toBeUndefined();
    expect(topLevelObjectMember(`{"text":"say \\"usage":${usage}}`, 'usage')).toBeUndefined();
    expect(topLevelObjectMember(`{"usage":${usage}`, 'usage')).toBeUndefined();
    expect(topLevelObjectMember(`{"usage":${usage},"pad":"${'x'.repeat(10_000)}"}`, 'usage')).toBeUndefined();
  });
});

describe('UsageCounter with a keyed reader', () => {
  const seen: unknown[] = [];
  const spy = Object.assign((data: unknown, eventType: string | undefined) => (seen.push(data), openAiUsage(data, eventType)), { usageKey: 'usage' }) as UsageReader;

  it('hands the reader the usage member alone, and the whole answer when the member is not provably top-level', () => {
    const big = { id: 'x', choices: [{ message: { content: 'y'.repeat(1000) } }], usage: { prompt_tokens: 3, completion_tokens: 4 }, system_fingerprint: 'fp' };
    const counter = new UsageCounter('application/json', spy);
    counter.push(Buffer.from(JSON.stringify(big)));
    expect(counter.end()).toMatchObject({ input: 3, output: 4 });
    expect(seen.at(-1)).toEqual({ usage: big.usage });

    const nested = { result: { usage: { prompt_tokens: 1 } }, response: { usage: { input_tokens: 5, output_tokens: 2 } } };
    const fallback = new UsageCounter('application/json', spy);
    fallback.push(Buffer.from(JSON.stringify(nested)));
    expect(fallback.end()).toMatchObject({ input: 5, output: 2 });
    expect(seen.at(-1)).toEqual(nested);
  });
});
