// `llmpass call` end to end, heavy tier: a 50 MiB upload streams, and the CLI's memory stays flat.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, spawnCli, type CliResult } from '../support/cli.ts';
import { tempDir, writeFiles } from '../support/tmp.ts';
import { SERVED, vllm, json, expectOk, useCallFixture } from './call-fixture.ts';

useCallFixture();

describe('large uploads stream', () => {
  const MiB = 1024 * 1024;

  it('50 MiB --data @big.bin with application/octet-stream: the upstream gets every byte (size and sha256)', async () => {
    const big = randomBytes(50 * MiB);
    const dir = writeFiles(tempDir(), { 'big.bin': big });
    const before = vllm.requests.length;
    const result = await call(dir, [`hosted_vllm/${SERVED}`, 'v1/upload-sink', '--api-base', vllm.url, '--data', '@big.bin', '--header', 'content-type: application/octet-stream']);
    expectOk(result);
    const sha256 = createHash('sha256').update(big).digest('hex');
    expect(json(result)).toEqual({ bytes: big.length, sha256 });
    expect(vllm.requests[before]).toMatchObject({ bodySize: big.length, bodySha256: sha256 });
  });

  it('the CLI\'s peak RSS stays far below the size of what it uploads', async () => {
    // V8 frees the read buffers of a stream only at a full GC, which it first runs after ~64 MiB of external
    // memory: peak RSS grows with an upload up to about that much whether it streams or not, so a 50 MiB
    // upload cannot tell them apart. A 192 MiB file can: streaming stays near +50-60 MiB, buffering would be
    // +192 MiB or more.
    const dir = tempDir();
    const small = join(dir, 'small.bin');
    const huge = join(dir, 'huge.bin');
    writeFileSync(small, randomBytes(MiB));
    writeFileSync(huge, '');
    truncateSync(huge, 192 * MiB); // sparse: instant to make, real bytes to read
    const peak = async (file: string): Promise<number> => {
      const result = await peakRss(dir, [`hosted_vllm/${SERVED}`, 'v1/upload-sink', '--api-base', vllm.url, '--data', `@${file}`, '-H', 'content-type: application/octet-stream']);
      expect(result.code, result.stderr).toBe(0);
      return result.peakKiB;
    };
    const baseline = await peak(small);
    const uploading = await peak(huge);
    expect(vllm.requests.at(-1)!.bodySize).toBe(192 * MiB);
    expect((uploading - baseline) / 1024, `peak RSS ${uploading} KiB vs baseline ${baseline} KiB`).toBeLessThan(96);
  });
});

/** Runs the CLI and measures its peak RSS: GNU time's %M when installed, else /proc VmHWM polled while it runs. */
async function peakRss(cwd: string, args: string[]): Promise<CliResult & { peakKiB: number }> {
  if (existsSync('/usr/bin/time')) {
    const out = join(cwd, `rss-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
    const result = await call(cwd, args, { wrapper: ['/usr/bin/time', '-f', '%M', '-o', out] });
    const peakKiB = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
    return { ...result, peakKiB };
  }
  const running = spawnCli({ args: ['call', ...args], cwd });
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${running.child.pid}/status`, 'utf8'));
      if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
    } catch {
      // exited
    }
  }, 5);
  const result = await running.result;
  clearInterval(poll);
  return { ...result, peakKiB };
}
