import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { batchCalls, numberPayloads } from '../../src/batch/batch.ts';
import type { CallSender } from '../../src/batch/types.ts';
import type { RouterPassthroughOptions } from '../../src/router/call.ts';

describe('the batch engine', () => {
  it('needs only something that sends one call, not a Router', async () => {
    const seen: RouterPassthroughOptions[] = [];
    const sender: CallSender = {
      async send(options) {
        seen.push(options);
        const body = Readable.from([Buffer.from(JSON.stringify({ echoed: options.json }))]);
        return { status: 200, statusText: 'OK', headers: [['content-type', 'application/json']], body };
      },
    };
    const results = [];
    for await (const result of batchCalls(sender, numberPayloads([{ n: 1 }, { n: 2 }]), { model: 'm', endpoint: 'classify', concurrency: 1 })) results.push(result);
    expect(results).toEqual([
      { line: 1, status: 200, body: { echoed: { n: 1 } } },
      { line: 2, status: 200, body: { echoed: { n: 2 } } },
    ]);
    expect(seen.map((options) => [options.model, options.endpoint])).toEqual([['m', 'classify'], ['m', 'classify']]);
  });
});
