// A plain `llmpass call` runs without oclif (src/cli/call/fast-call.ts): oclif's import was a third of a one-shot
// call's CPU. The bench's module probe lists the files the process ran and their source maps name what each
// bundles; a call oclif must parse (an integer flag) shows the probe does see oclif when it is there.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

assertBuilt();
afterAll(cleanupTemp);

const PROBE = fileURLToPath(new URL('../../bench/child/module-probe.mjs', import.meta.url));
const OCLIF = /node_modules\/@oclif\/core\//;
const DRY = ['hosted_vllm/m', 'v1/chat/completions', '--api-base', 'http://127.0.0.1:9', '--json', '{"a":1}', '--dry-run'];

async function probed(args: string[]) {
  const out = join(mkdtempSync(join(tmpdir(), 'llmpass-oclif-probe-')), 'report.json');
  const result = await call(tempDir(), args, { env: baseEnv({ NODE_OPTIONS: `--import=${PROBE}`, BENCH_PROBE_OUT: out }) });
  const { files } = JSON.parse(readFileSync(out, 'utf8')) as { files: string[] };
  const sources = files.flatMap((file) => (existsSync(`${file}.map`) ? (JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources : [file]));
  return { result, oclif: sources.some((source) => OCLIF.test(source)) };
}

describe('a plain call loads no oclif', () => {
  it('prints the request without loading oclif', async () => {
    const { result, oclif } = await probed(DRY);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('POST http://127.0.0.1:9/v1/chat/completions');
    expect(oclif).toBe(false);
  });

  it('gives a flag oclif checks (--retries) to oclif, with the same answer', async () => {
    const { result, oclif } = await probed([...DRY, '--retries', '1']);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('POST http://127.0.0.1:9/v1/chat/completions');
    expect(oclif).toBe(true);
  });

  it("leaves a mistake to oclif's own message and exit code", async () => {
    const { result } = await probed([...DRY, '--retries', '-1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/retries/);
  });
});
