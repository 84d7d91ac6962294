// A batch's progress bar is drawn only when stdout is a file or /dev/null: through a pipe, the next program may
// print to the same terminal (`| jq`) and the two would interleave. --progress and --no-progress decide it.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { assertBuilt, BIN, baseEnv, runShell, SCRIPT, shellQuote } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

let vllm: FakeServer;
let project: string;
const BAR = '\r\u001b[K';

beforeAll(async () => {
  assertBuilt();
  vllm = await startVllmServer();
  const lines = Array.from({ length: 20 }, (_, i) => `{"input":"line ${i}"}`).join('\n');
  project = tempConfig(`model_list:\n  - model_name: lang\n    litellm_params:\n      model: hosted_vllm/${DEFAULT_SERVED_MODEL}\n      api_base: ${vllm.url}\n`, { 'in.jsonl': `${lines}\n` });
});

afterAll(async () => {
  await vllm.close();
  cleanupTemp();
});

/** Runs `llmpass call lang classify --jsonl --data @in.jsonl <more>` under a pseudo-terminal, then `tail`. */
async function onTerminal(more: string) {
  const cli = `${shellQuote(process.execPath)} ${shellQuote(BIN)} call lang classify --jsonl --data @in.jsonl ${more}`;
  const line = `stty cols 100 rows 40 2>/dev/null; ${cli}`;
  const result = await runShell(`${SCRIPT} -qec ${shellQuote(line)} /dev/null`, project, baseEnv({ CI: undefined, TERM: 'xterm' }));
  expect(result.code, result.stdout.toString()).toBe(0);
  return result.stdout.toString();
}

describe('batch progress', () => {
  it('stdout to a file or /dev/null: the bar is drawn, then the summary', async () => {
    for (const target of [`> ${shellQuote(join(project, 'out.jsonl'))}`, '> /dev/null']) {
      const screen = await onTerminal(target);
      expect(screen, target).toContain(BAR);
      expect(screen).toMatch(/llmpass: 20 lines in .*20 ok/);
    }
  });

  it('stdout to a pipe (| cat on the same terminal): no bar, the results and the summary only', async () => {
    const screen = await onTerminal('| cat');
    expect(screen).not.toContain(BAR);
    expect(screen.match(/"label"/g)).toHaveLength(20);
    expect(screen).toMatch(/llmpass: 20 lines in .*20 ok/);
  });

  it('--progress forces the bar through a pipe; --no-progress hides it for a file', async () => {
    expect(await onTerminal('--progress | cat')).toContain(BAR);
    const hidden = await onTerminal(`--no-progress > ${shellQuote(join(project, 'out2.jsonl'))}`);
    expect(hidden).not.toContain(BAR);
    expect(hidden).toMatch(/llmpass: 20 lines in .*20 ok/);
  });
});
