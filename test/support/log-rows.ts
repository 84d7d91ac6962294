// Request-log rows for the tests: complete, realistic, and distinct enough to filter on.
import { newRowId, type RequestRow } from '../../src/accounting/log/row.ts';
import { usageOf } from '../../src/accounting/usage.ts';
import { openLogStore } from '../../src/accounting/log/open.ts';

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export function logRow(overrides: Partial<RequestRow> = {}): RequestRow {
  const time = overrides.time ?? T0;
  return {
    id: newRowId(time),
    time,
    face: 'call',
    alias: 'chat',
    deployment: 'chat#0',
    provider: 'openai',
    model: 'gpt-4o',
    method: 'POST',
    endpoint: 'chat/completions',
    status: 200,
    errorCode: null,
    attempts: 1,
    durationMs: 120.5,
    ttfbMs: 80.25,
    bytesIn: 52,
    bytesOut: 310,
    tokens: usageOf({ input: 12, output: 30 }),
    cost: 0.000_33,
    keyAlias: null,
    replayOf: null,
    requestHeaders: [['content-type', 'application/json']],
    requestBody: Buffer.from('{"model":"chat","messages":[]}'),
    requestBodyTruncated: false,
    responseBody: Buffer.from('{"choices":[]}'),
    responseBodyTruncated: false,
    ...overrides,
  };
}

/** `count` rows a millisecond apart from `start`. */
export function logRows(count: number, start = T0, overrides: Partial<RequestRow> = {}): RequestRow[] {
  return Array.from({ length: count }, (_, i) => logRow({ time: start + i, ...overrides }));
}

/** The rows a log file holds (the newest 100), the store opened and closed around the read. */
export async function storedRows(path: string): Promise<RequestRow[]> {
  const store = await openLogStore(path);
  try {
    return await store.list({ limit: 100 });
  } finally {
    await store.close();
  }
}
