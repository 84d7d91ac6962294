// Several one-shot calls opening one fresh request-log file at once (a shell loop, parallel jobs): each waits for
// the others' journal-mode switch and migration instead of failing with "database is locked".
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

afterAll(cleanupTemp);

const OPEN = `
const { openLogStore } = await import(process.argv[1]);
const store = await openLogStore(process.argv[2]);
await store.close();
`;

function openInChild(target: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', OPEN, new URL('../../src/accounting/log/open.ts', import.meta.url).pathname, target], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

describe('the SQLite request log, opened by many processes at once', () => {
  it('every opener succeeds on a fresh file', async () => {
    for (let round = 0; round < 3; round++) {
      const target = join(tempDir(), `round-${round}`, 'logs.db');
      const results = await Promise.all(Array.from({ length: 8 }, () => openInChild(target)));
      expect(results.filter((result) => result.code !== 0)).toEqual([]);
    }
  });
});
