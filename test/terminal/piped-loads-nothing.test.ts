// The terminal views (stream text, footer, binary guard, --output progress, pretty printing) cost the piped path
// nothing: the bench's module probe lists the files a process ran, and their source maps name the sources bundled
// in each. Under a pty the same probe does see them: its "no" means something.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sseChunks } from '../fixtures/fake-upstream.ts';
import { fakeUpstreams } from '../support/upstreams.ts';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

assertBuilt();
afterAll(cleanupTemp);
const upstream = fakeUpstreams(() => sseChunks([]));

const PROBE = fileURLToPath(new URL('../../bench/child/module-probe.mjs', import.meta.url));
const TERMINAL_ONLY = /src\/cli\/render\/(stream-view|render-text|answer-meter|terminal-answer|output-progress|render-pretty)\.ts$|node_modules\/chalk\//;
const chunk = (content: string) => JSON.stringify({ choices: [{ index: 0, delta: { content } }] });

/** The sources (from the source maps) of every file the CLI ran, for one call. */
async function sourcesRun(tty: boolean): Promise<string[]> {
  const server = await upstream(sseChunks([chunk('Hi'), chunk(' there'), '[DONE]'], 1));
  const out = join(mkdtempSync(join(tmpdir(), 'llmpass-terminal-probe-')), 'report.json');
  const env = baseEnv({ NO_COLOR: '1', NODE_OPTIONS: `--import=${PROBE}`, BENCH_PROBE_OUT: out });
  const result = await call(tempDir(), ['hosted_vllm/m', 'v1/chat/completions', '--api-base', server.url, '--json', '{"stream":true}'], { tty, env });
  expect(result.code).toBe(0);
  const { files } = JSON.parse(readFileSync(out, 'utf8')) as { files: string[] };
  return files.flatMap((file) => (existsSync(`${file}.map`) ? (JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources : [file]));
}

describe('the piped path loads no terminal module', () => {
  it('piped, a stream call runs none of the text view, footer or guards', async () => {
    expect((await sourcesRun(false)).filter((source) => TERMINAL_ONLY.test(source))).toEqual([]);
  });

  it('on a terminal the same probe sees them', async () => {
    const seen = (await sourcesRun(true)).filter((source) => TERMINAL_ONLY.test(source));
    expect(seen.some((source) => source.endsWith('render-text.ts'))).toBe(true);
    expect(seen.some((source) => source.endsWith('stream-view.ts'))).toBe(true);
  });
});
