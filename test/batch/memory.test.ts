// Bounded memory: 200,000 lines (about 200 MB of JSON Lines) piped through `llmpass call --jsonl` against a fast
// loopback upstream, with the CLI's peak RSS read by /usr/bin/time. A run that read its input ahead, or held the
// results, would hold the input whole (measured: ~810 MB for this input); the batch holds a window of lines.
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertBuilt, BIN, runShell, shellQuote } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';
import { startBatchUpstream, type BatchUpstream } from './batch-upstream.ts';

const LINES = 200_000;
const PAD = 'x'.repeat(1000);
const TIME = '/usr/bin/time';
/** Node, oclif, undici and V8's young generation at full size come to ~300 MB; the input alone is ~200 MB. */
const RSS_LIMIT_MB = 420;

let server: BatchUpstream;
let project: string;

beforeAll(async () => {
  assertBuilt();
  server = await startBatchUpstream(() => ({ body: { label: 'en' } }));
  project = tempConfig(`model_list:\n  - model_name: fast\n    litellm_params:\n      model: hosted_vllm/fast-upstream\n      api_base: ${server.url}\n`);
  const out = createWriteStream(join(project, 'in.jsonl'));
  for (let i = 1; i <= LINES; i += 1000) {
    let chunk = '';
    for (let k = i; k < i + 1000; k++) chunk += `{"i":${k},"pad":"${PAD}"}\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
});

afterAll(async () => {
  await server?.close();
  cleanupTemp();
});

it.skipIf(!existsSync(TIME))(`keeps memory bounded over ${LINES.toLocaleString('en-US')} lines piped in`, async () => {
  expect(statSync(join(project, 'in.jsonl')).size).toBeGreaterThan(200_000_000);
  const cli = [process.execPath, BIN, 'call', 'fast', 'classify', '--jsonl', '--concurrency', '64'].map(shellQuote).join(' ');
  const line = `${TIME} -f %M -o rss.txt ${cli} < in.jsonl > out.jsonl`;
  const started = performance.now();
  const result = await runShell(line, project, undefined, 110_000);
  const seconds = (performance.now() - started) / 1000;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toMatch(/^llmpass: 200,000 lines in .*: 200,000 ok\n$/);
  const out = readFileSync(join(project, 'out.jsonl'), 'utf8');
  expect(out.length).toBe(LINES * '{"label":"en"}\n'.length);
  expect(server.count).toBe(LINES);
  const peakMb = Number(readFileSync(join(project, 'rss.txt'), 'utf8').trim().split('\n').at(-1)) / 1024;
  console.log(`200,000 lines in ${seconds.toFixed(1)} s, peak RSS ${peakMb.toFixed(0)} MB`);
  expect(peakMb).toBeLessThan(RSS_LIMIT_MB);
}, 120_000);
