// The library's Router logs only when given a log (opt-in), one row per call with the reported usage.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { openLogStore } from '../../src/accounting/log/open.ts';
import { RequestLog, Router } from '../../src/index.ts';
import { status } from '../fixtures/fake-upstream.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';
import { fakeUpstreams, vllmEntry } from '../support/upstreams.ts';

afterAll(cleanupTemp);
const upstream = fakeUpstreams(() => status(200, { data: [], usage: { prompt_tokens: 4, total_tokens: 4 } }));

describe('Router log option', () => {
  it('records each call of a Router given a log, with its usage; rows are written by close()', async () => {
    const { url } = await upstream();
    const target = join(tempDir(), 'logs.db');
    const router = new Router({ modelList: [vllmEntry('embed', url)], log: new RequestLog({ face: 'library', target, bodies: true }) });
    const response = await router.passthrough({ model: 'embed', endpoint: 'v1/embeddings', json: { input: 'hi' } });
    expect(await response.json()).toMatchObject({ usage: { prompt_tokens: 4 } });
    await router.close();
    const store = await openLogStore(target);
    const rows = await store.list({});
    await store.close();
    expect(rows).toMatchObject([{ face: 'library', alias: 'embed', status: 200, tokens: { input: 4, output: 0 }, cost: null }]);
    expect(JSON.parse(Buffer.from(rows[0]!.requestBody!).toString())).toEqual({ input: 'hi' });
  });

  // The observer counts the body beside its reader, with no stage in between: each way a caller may read a Node
  // stream must still get every byte, and the row must count them all (or say the reader went away).
  it('counts the body however its reader reads it, and leaves the reading unchanged', async () => {
    const { url } = await upstream();
    const target = join(tempDir(), 'logs.db');
    const router = new Router({ modelList: [vllmEntry('embed', url)], log: new RequestLog({ face: 'library', target, bodies: false }) });
    const send = () => router.send({ model: 'embed', endpoint: 'v1/embeddings', json: { input: 'hi' } });
    const readers: Record<string, (body: NodeJS.ReadableStream & AsyncIterable<Buffer>) => Promise<string>> = {
      // A listener added later, after awaits: the body must not have flowed past it meanwhile.
      'on(data)': async (body) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        let text = '';
        body.on('data', (chunk: Buffer) => (text += chunk));
        await new Promise((resolve) => body.once('end', resolve));
        return text;
      },
      'for await': async (body) => {
        let text = '';
        for await (const chunk of body) text += chunk;
        return text;
      },
      pipe: async (body) => {
        let text = '';
        await pipeline(body, new Writable({ write: (chunk: Buffer, _encoding, done) => ((text += chunk), done()) }));
        return text;
      },
    };
    const sizes: number[] = [];
    for (const read of Object.values(readers)) {
      const text = await read((await send()).body as NodeJS.ReadableStream & AsyncIterable<Buffer>);
      expect(JSON.parse(text)).toMatchObject({ usage: { prompt_tokens: 4 } });
      sizes.push(Buffer.byteLength(text));
    }
    (await send()).body.destroy();
    await router.close();
    const store = await openLogStore(target);
    const rows = (await store.list({})).reverse();
    await store.close();
    expect(rows.map((row) => [row.bytesOut, row.tokens.input, row.errorCode])).toEqual([...sizes.map((size) => [size, 4, null]), [0, undefined, 'LLMPASS_ABORTED']]);
  });
});
