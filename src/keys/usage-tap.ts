// The minimal tap that reads a relayed answer's token counts for a key's spend, until the request log's usage
// wiring calls bookSpend itself: the tail of the body (where a stream's usage comes last), read once it ends.
import type { Readable } from 'node:stream';
import { usageOf, type Usage } from '../accounting/usage.ts';

const TAIL = 64 * 1024;

/** Calls `done` with the usage the answer reported (OpenAI's or Anthropic's fields) once the body has ended. */
export function tapUsage(body: Readable, done: (usage: Usage) => void): void {
  let tail = '';
  body.on('data', (chunk: Buffer | string) => {
    tail += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    if (tail.length > TAIL * 2) tail = tail.slice(-TAIL);
  });
  body.once('end', () => done(usageIn(tail)));
}

export function usageIn(text: string): Usage {
  // The last `"usage": {...}` object: a stream's final event, or a JSON answer's field.
  const at = text.lastIndexOf('"usage"');
  if (at === -1) return usageOf({});
  const open = text.indexOf('{', at);
  let close = -1;
  // Nested detail objects (prompt_tokens_details) come inside: find the matching brace.
  for (let i = open, depth = 0; open !== -1 && i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (open === -1 || close === -1) return usageOf({});
  let counts: Record<string, unknown>;
  try {
    counts = JSON.parse(text.slice(open, close + 1)) as Record<string, unknown>;
  } catch {
    return usageOf({});
  }
  return usageOf({ input: counts.prompt_tokens ?? counts.input_tokens, output: counts.completion_tokens ?? counts.output_tokens ?? (counts.prompt_tokens !== undefined ? 0 : undefined) });
}
