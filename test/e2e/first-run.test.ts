// The first minute, as the README and the demo show it: their commands run as printed, through /bin/sh, with
// `llmpass` on the PATH (as `npm link` puts it) and the repo's demo server behind them.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVllmServer } from '../fixtures/vllm-server.ts';
import type { FakeServer } from '../fixtures/fake-upstream.ts';
import { assertBuilt, baseEnv, BIN, ROOT, runShell, shellQuote } from '../support/cli.ts';
import { cleanupTemp, tempConfig, tempDir, writeFiles } from '../support/tmp.ts';

let server: FakeServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuilt();
  server = await startVllmServer();
  const bin = writeFiles(tempDir(), { llmpass: `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(BIN)} "$@"\n` });
  chmodSync(join(bin, 'llmpass'), 0o755);
  env = baseEnv({ PATH: `${bin}:${process.env.PATH}` });
});

afterAll(async () => {
  await server.close();
  cleanupTemp();
});

describe('the first run', () => {
  it("the README's first-run commands work as written against the demo server", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /### The first run[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(block).toContain('npm ci && npm link');
    const commands = block.split('\n').filter((line) => line.startsWith('llmpass '));
    expect(commands.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['llmpass init', 'llmpass call']);
    const dir = tempDir();
    for (const line of commands) {
      const result = await runShell(line.replace('http://localhost:8090', server.url), dir, env);
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
    }
    expect(server.requests.at(-1)).toMatchObject({ path: '/classify', json: { model: 'papluca/xlm-roberta-base-language-detection', input: 'Hola' } });
  });

  it("the demo's printed commands run as printed", async () => {
    const demo = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { cwd: ROOT, env: baseEnv(), encoding: 'utf8', timeout: 30_000 });
    expect(demo.status, demo.stderr).toBe(0);
    const printed = demo.stdout.split('\n').filter((line) => line.startsWith('$ ')).map((line) => line.slice(2));
    expect(printed.length).toBeGreaterThanOrEqual(3);
    const dir = tempConfig(`model_list:
  - model_name: roberta-base-language-detection
    litellm_params:
      model: hosted_vllm/papluca/xlm-roberta-base-language-detection
      api_base: ${server.url}
`);
    for (const line of printed) {
      expect(line).not.toContain('...');
      const result = await runShell(line, dir, env);
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
    }
  });
});
