// `llmpass init` through the built CLI: it asks a server what it serves and writes a config that `call` then uses.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiLike, startFakeUpstream, type FakeServer } from '../fixtures/fake-upstream.ts';
import { sendJson } from '../fixtures/respond.ts';
import { DEFAULT_SERVED_MODEL, startVllmServer } from '../fixtures/vllm-server.ts';
import { assertBuilt, baseEnv, BIN, call, runCli, SCRIPT, shellQuote, stackLines, type CliResult } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const KEY = 'sk-init-e2e-key-0001';
const ALIAS = 'xlm-roberta-base-language-detection';
let vllm: FakeServer;
let keyed: FakeServer;
let ollama: FakeServer;
let openai: FakeServer;

const init = (cwd: string, args: string[], env = baseEnv()) => runCli({ args: ['init', ...args], cwd, env });

function usageError(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(stackLines(result.stderr)).toEqual([]);
}

beforeAll(async () => {
  assertBuilt();
  vllm = await startVllmServer();
  keyed = await startVllmServer({ apiKey: KEY });
  ollama = await startFakeUpstream((req, res) => {
    if (req.path === '/api/tags') {
      sendJson(res, 200, { models: [{ name: 'llama3.2:latest', model: 'llama3.2:latest', digest: 'a1' }, { name: 'qwen2.5:7b', model: 'qwen2.5:7b', digest: 'b2' }] });
    } else sendJson(res, 404, { error: 'not found' });
  });
  openai = await startFakeUpstream(openAiLike());
});

afterAll(async () => {
  await Promise.all([vllm.close(), keyed.close(), ollama.close(), openai.close()]);
  cleanupTemp();
});

describe('llmpass init', () => {
  it('the first run: init --api-base, then call <alias> classify input=Hola', async () => {
    const dir = tempDir();
    const written = await init(dir, ['--api-base', vllm.url]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toContain(`wrote llmpass.config.yaml: ${ALIAS} (vLLM at ${vllm.url})`);
    const yaml = readFileSync(join(dir, 'llmpass.config.yaml'), 'utf8');
    expect(yaml).toContain(`  - model_name: ${ALIAS}\n    litellm_params:\n      model: hosted_vllm/${DEFAULT_SERVED_MODEL}\n      api_base: ${vllm.url}\n`);
    const before = vllm.requests.length;
    const called = await call(dir, [ALIAS, 'classify', 'input=Hola']);
    expect(called.stderr).toBe('');
    expect(called.code).toBe(0);
    expect(vllm.requests.slice(before).map((r) => [r.path, r.json])).toEqual([['/classify', { model: DEFAULT_SERVED_MODEL, input: 'Hola' }]]);
    const listed = await runCli({ args: ['models'], cwd: dir });
    expect(listed.code).toBe(0);
    expect(listed.stdout.toString()).toContain(ALIAS);
  });

  it('never replaces a file without --force', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'llmpass.config.yaml'), '# mine\n');
    usageError(await init(dir, ['--api-base', vllm.url]), /llmpass\.config\.yaml exists: --force replaces it/);
    expect(readFileSync(join(dir, 'llmpass.config.yaml'), 'utf8')).toBe('# mine\n');
    expect((await init(dir, ['--api-base', vllm.url, '--force'])).code).toBe(0);
    expect(readFileSync(join(dir, 'llmpass.config.yaml'), 'utf8')).toContain(ALIAS);
  });

  it('--print writes the config to stdout and no file', async () => {
    const dir = tempDir();
    const printed = await init(dir, ['--api-base', `${vllm.url}/v1`, '--print']);
    expect(printed.code).toBe(0);
    expect(printed.stdout.toString()).toContain(`model: hosted_vllm/${DEFAULT_SERVED_MODEL}\n      api_base: ${vllm.url}/v1\n`);
    expect(existsSync(join(dir, 'llmpass.config.yaml'))).toBe(false);
  });

  it('a server that wants a key: the message says --api-key-env; with it the key is read, and written as os.environ/VAR only', async () => {
    const dir = tempDir();
    usageError(await init(dir, ['--api-base', keyed.url]), /answered 401 .*pass --api-key-env VAR/);
    const env = baseEnv({ MY_VLLM_KEY: KEY });
    const written = await init(dir, ['--api-base', keyed.url, '--api-key-env', 'MY_VLLM_KEY'], env);
    expect(written.code, written.stderr).toBe(0);
    const yaml = readFileSync(join(dir, 'llmpass.config.yaml'), 'utf8');
    expect(yaml).toContain('      api_key: os.environ/MY_VLLM_KEY\n');
    expect(yaml + written.stderr + written.stdout.toString()).not.toContain(KEY);
    expect((await call(dir, [ALIAS, 'v1/models'], { env })).code).toBe(0);
    usageError(await init(dir, ['--api-base', keyed.url, '--api-key-env', KEY, '--force']), /expected the name of an environment variable/);
  });

  it('Ollama is told by its /api/tags; aliases are short (no :latest, tags joined with -)', async () => {
    const printed = await init(tempDir(), ['--api-base', ollama.url, '--print']);
    expect(printed.code, printed.stderr).toBe(0);
    const yaml = printed.stdout.toString();
    expect(yaml).toContain('  - model_name: llama3.2\n    litellm_params:\n      model: ollama/llama3.2:latest\n');
    expect(yaml).toContain('  - model_name: qwen2.5-7b\n    litellm_params:\n      model: ollama/qwen2.5:7b\n');
  });

  it('a server it cannot tell asks for --provider; with it, the list is read', async () => {
    const dir = tempDir();
    usageError(await init(dir, ['--api-base', `${openai.url}/v1`]), /cannot tell which server .*--provider/);
    const printed = await init(dir, ['--api-base', `${openai.url}/v1`, '--provider', 'openai', '--print']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.toString()).toMatch(/model: openai\/gpt-4o-mini\n {6}api_base: http:\/\/127\.0\.0\.1:\d+\/v1\n/);
  });

  it('without --api-base and no terminal: one clear usage error', async () => {
    usageError(await init(tempDir(), []), /init needs --api-base URL/);
  });

  it('on a terminal with no flags it asks for the server and the key variable, shows the file and asks before writing', async () => {
    const dir = tempDir();
    const line = `stty cols 120 rows 40 2>/dev/null; exec ${[process.execPath, BIN, 'init'].map(shellQuote).join(' ')}`;
    const child = spawn(SCRIPT, ['-qec', line, '/dev/null'], { cwd: dir, env: { ...baseEnv(), SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    const answers: Array<[RegExp, string]> = [[/Server URL.*: $/, vllm.url], [/holds its key.*: $/, ''], [/Write this to llmpass\.config\.yaml\? \[Y\/n\] $/, 'y']];
    child.stdout.on('data', (data: Buffer) => {
      screen += data.toString();
      const next = answers[0];
      // readline moves the cursor after its prompt: match on the text without escape sequences.
      if (next && next[0].test(`${screen.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd()} `)) {
        answers.shift();
        child.stdin.write(`${next[1]}\r`);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    expect(code, JSON.stringify(screen)).toBe(0);
    expect(answers).toEqual([]);
    expect(screen).toContain(`model: hosted_vllm/${DEFAULT_SERVED_MODEL}`);
    expect(readFileSync(join(dir, 'llmpass.config.yaml'), 'utf8')).toContain(`api_base: ${vllm.url}\n`);
  });

  it('Ctrl-C at a question is an interruption (exit 130, one line), and writes nothing', async () => {
    const dir = tempDir();
    const line = `exec ${[process.execPath, BIN, 'init'].map(shellQuote).join(' ')}`;
    const child = spawn(SCRIPT, ['-qec', line, '/dev/null'], { cwd: dir, env: { ...baseEnv(), SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let sent = false;
    child.stdout.on('data', (data: Buffer) => {
      screen += data.toString();
      if (!sent && /Server URL/.test(screen)) {
        sent = true;
        child.stdin.write('\x03');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    expect(code, JSON.stringify(screen)).toBe(130);
    expect(screen).toMatch(/llmpass: interrupted/);
    expect(stackLines(screen)).toEqual([]);
    expect(existsSync(join(dir, 'llmpass.config.yaml'))).toBe(false);
  });
});

describe('llmpass models with no config', () => {
  it('says so, suggests llmpass init, and exits 2', async () => {
    for (const args of [['models'], ['models', '--json'], ['models', '--check']]) {
      usageError(await runCli({ args, cwd: tempDir() }), /no config found here or above: write one with `llmpass init --api-base URL`/);
    }
  });
});
