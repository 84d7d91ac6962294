// The library's Router logs only when given a log (opt-in), one row per call with the reported usage.
import { join } from 'node:path';
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
});
