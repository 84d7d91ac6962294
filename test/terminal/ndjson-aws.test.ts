// --ndjson on Bedrock's event streams: the event's type is only in a frame header, so each line keeps it as the
// AWS SDKs shape an event (`{"contentBlockDelta": {...}}`), and a `chunk`'s base64 `bytes` is the model's JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBedrock, type FakeBedrock } from '../fixtures/fake-bedrock.ts';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

assertBuilt();
const KEY = { accessKeyId: 'AKIDNDJSONTEST', secretAccessKey: 'ndjson-aws-secret', region: 'us-east-1', service: 'bedrock' };
let bedrock: FakeBedrock;
beforeAll(async () => {
  bedrock = await startFakeBedrock({ key: KEY });
});
afterAll(async () => {
  await bedrock?.close();
  cleanupTemp();
});

const env = () =>
  baseEnv({ AWS_BEDROCK_RUNTIME_ENDPOINT: bedrock.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' });
const lines = (out: Buffer) => out.toString().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('--ndjson on an AWS event stream', () => {
  it('converse-stream: each line names its event', async () => {
    const piped = await call(tempDir(), ['bedrock/anthropic.claude-3', 'converse-stream', '--json', '{}', '--ndjson'], { env: env() });
    expect(piped.code, piped.stderr).toBe(0);
    const events = lines(piped.stdout);
    expect(events.map((event) => Object.keys(event)[0])).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
    expect(events[1]).toEqual({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Hello ' }, p: 'abcdef' } });
  });

  it('invoke-with-response-stream: a chunk is the model\'s own event, decoded', async () => {
    const piped = await call(tempDir(), ['bedrock/anthropic.claude-3', 'invoke-with-response-stream', '--json', '{}', '--ndjson'], { env: env() });
    expect(piped.code, piped.stderr).toBe(0);
    expect(lines(piped.stdout)).toEqual([
      { chunk: { type: 'message_start' } },
      { chunk: { type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hi' } } },
      { chunk: { type: 'message_stop' } },
    ]);
  });
});
