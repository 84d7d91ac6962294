// No config file, however malformed, gives anything but a working config or one ConfigError line that names the
// file: random text, YAML-ish token soup and random structures (as YAML and as JSON), alias bombs, deep nesting and
// very large files, each answered quickly. A few of the worst also through the CLI, for the one line on stderr.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { dump } from 'js-yaml';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { Router } from '../../src/router/router.ts';
import { describeModels } from '../../src/router/inventory.ts';
import { assertBuilt, runCli, stackLines } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const RUNS = Number(process.env.CONFIG_FUZZ_RUNS ?? 300);
const dir = tempDir('llmpass-config-fuzz-');
let counter = 0;

afterAll(() => cleanupTemp());

/** CPU milliseconds spent since `since` (process.cpuUsage()): unlike the wall clock, a loaded machine barely moves it. */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/**
 * Loads `text` as a config file named `name`: a config, or a ConfigError naming the file in one line; and the CPU
 * time it cost (not the wall clock, so "quickly" holds on a busy machine too).
 */
async function load(text: string | Buffer, name: string): Promise<{ error?: ConfigError; cpuMs: number }> {
  const file = join(dir, `${counter++}-${name}`);
  writeFileSync(file, text);
  const started = process.cpuUsage();
  try {
    const config = await loadConfig({ configPath: file, env: {} });
    // What the commands do next with a config that loaded: list it, route with it.
    describeModels(config);
    new Router({ config });
    return { cpuMs: cpuMsSince(started) };
  } catch (error) {
    const elapsed = cpuMsSince(started);
    expect(error, `${name}: ${String(error)}\n${(error as Error)?.stack}`).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message, 'one line').not.toMatch(/[\r\n]/);
    expect(message.includes(file), `names the file: ${message}`).toBe(true);
    expect(message.length).toBeLessThan(4_000);
    return { error: error as ConfigError, cpuMs: elapsed };
  }
}

const YAML_PIECES = [
  'model_list:', 'router_settings:', 'general_settings:', 'litellm_settings:', 'providers:', 'environment_variables:',
  'pass_through_endpoints:', '  - ', '    ', 'model_name: ', 'litellm_params:', 'model: ', 'api_base: ', 'api_key: ',
  'extra_headers:', 'timeout: ', 'id: ', 'auth: ', 'header: ', 'path: ', 'target: ', 'fallbacks: ', 'master_key: ',
  'hosted_vllm/m', 'openai/*', '*', 'http://h:1', 'htp:/x', 'os.environ/X', '${X}', '{', '}', '[', ']', ',', ': ', '? ',
  '- ', '&a ', '*a', '<<: *a', '!!binary ', '!!str ', '!!int ', '!!python/object:os.system ', '!custom ', '|', '>-',
  '"', "'", '\\', '\n', '\r\n', '\t', '#', '%YAML 1.1\n', '---\n', '...\n', '@', '`', 'null', '~', 'true', 'yes', 'off',
  '0x1F', '0o17', '1e400', '.nan', '-.inf', '20_000', '2001-12-14', '\u0000', '\ufeff', 'é', '\u2028', '__proto__: ',
  'constructor: ', 'prototype: ', 'toString: ',
];

const yamlSoup = fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...YAML_PIECES) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), { maxLength: 60 }).map((p) => p.join(''));

const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('os.environ/UNSET', 'http://127.0.0.1:1', 'hosted_vllm/m', 'a\r\nb', '*', ''));
const loose = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }));
const headers = fc.dictionary(fc.oneof(fc.constantFrom('x-a', 'Authorization', 'bad name', 'x\r\ny', '__proto__'), fc.string({ maxLength: 6 })), fc.oneof(scalar, loose), { maxKeys: 3 });
const litellmParams = fc.record(
  {
    model: fc.oneof(fc.constantFrom('hosted_vllm/m', 'openai/gpt-4o', 'anthropic/*', 'nope/x', 'gpt-4o', '', '/', 'azure/'), scalar),
    api_base: fc.oneof(fc.constantFrom('http://127.0.0.1:1', 'https://h/v1', 'os.environ/BASE', 'ftp://x', 'not a url'), scalar),
    api_key: fc.oneof(fc.constantFrom('os.environ/KEY', 'sk-literal'), scalar),
    timeout: fc.oneof(fc.constantFrom(1, 0, -1, '30', 'os.environ/T', 'soon'), scalar),
    extra_headers: fc.oneof(headers, loose),
    weight: loose,
    rpm: loose,
  },
  { requiredKeys: [] },
);
const entry = fc.oneof(
  { weight: 4, arbitrary: fc.record({ model_name: fc.oneof(fc.constantFrom('a', 'a*', '*', 'a/b', '__proto__', 'constructor', ''), scalar), litellm_params: fc.oneof({ weight: 4, arbitrary: litellmParams }, { weight: 1, arbitrary: loose }), model_info: loose }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: loose },
);
const provider = fc.record(
  {
    id: fc.oneof(fc.constantFrom('mine', 'openai', 'Bad', 'a b', '__proto__', 'x-1'), scalar),
    api_base: fc.oneof(fc.constantFrom('http://127.0.0.1:1', 'nope'), scalar),
    auth: fc.oneof(fc.constantFrom('bearer', 'none', 'basic'), fc.record({ header: fc.oneof(fc.constantFrom('x-key', '', 'bad name'), scalar) }), loose),
    route_prefix: fc.oneof(fc.constantFrom('/mine', 'mine', '/', '//x', '/vllm'), scalar),
    model: fc.oneof(fc.constantFrom('body', 'none', 'path'), scalar),
    aliases: loose,
  },
  { requiredKeys: [] },
);
const structure = fc.oneof(
  { weight: 6, arbitrary: fc.record(
    {
      model_list: fc.oneof({ weight: 4, arbitrary: fc.array(entry, { maxLength: 4 }) }, { weight: 1, arbitrary: loose }),
      router_settings: fc.oneof(fc.record({ num_retries: loose, timeout: loose, routing_strategy: loose, fallbacks: fc.oneof(fc.array(fc.dictionary(fc.string({ maxLength: 4 }), loose)), loose) }, { requiredKeys: [] }), loose),
      litellm_settings: loose,
      general_settings: fc.oneof(fc.record({ master_key: loose, pass_through_endpoints: fc.oneof(fc.array(fc.record({ path: loose, target: loose, headers, include_subpath: loose }, { requiredKeys: [] }), { maxLength: 2 }), loose) }, { requiredKeys: [] }), loose),
      environment_variables: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), scalar), loose),
      providers: fc.oneof(fc.array(provider, { maxLength: 2 }), loose),
    },
    { requiredKeys: [] },
  ) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

describe('a config file, however malformed', () => {
  it('random text as YAML, as JSON and without extension: a config or one ConfigError line with the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(yamlSoup, fc.string({ unit: 'binary', maxLength: 200 })), fc.constantFrom('llmpass.config.yaml', 'llmpass.config.json', '.llmpassrc'), async (text, name) => {
        const { cpuMs } = await load(text, name);
        expect(cpuMs).toBeLessThan(2_000);
      }),
      { numRuns: RUNS },
    );
  });

  it('random structures, written as YAML and as JSON: the same', async () => {
    await fc.assert(
      fc.asyncProperty(structure, fc.boolean(), async (value, asJson) => {
        let text: string | undefined;
        try {
          text = asJson ? JSON.stringify(value) : dump(value);
        } catch {
          text = undefined;
        }
        if (typeof text !== 'string') return; // a value the writers cannot write is no file
        const { cpuMs } = await load(text, asJson ? 'config.json' : 'config.yaml');
        expect(cpuMs).toBeLessThan(2_000);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('files made to exhaust', () => {
  it('a billion-laughs alias bomb is refused quickly', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i);
      const prev = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const { error, cpuMs } = await load(levels.join('\n'), 'bomb.yaml');
    expect(error?.message).toMatch(/alias/i);
    expect(cpuMs).toBeLessThan(1_000);
  });

  it('a merge-key bomb is refused quickly', async () => {
    // Nested merges: a key merged twice is copied once, so this one grows slowly and loads; it must be quick.
    const lines = ['x0: &x0 {a: 1, b: 2}'];
    for (let i = 1; i < 40; i++) lines.push(`x${i}: &x${i}\n  <<: [*x${i - 1}, *x${i - 1}, *x${i - 1}, *x${i - 1}]\n  k${i}: ${i}`);
    const { cpuMs } = await load(lines.join('\n'), 'merge-bomb.yaml');
    expect(cpuMs).toBeLessThan(1_000);
    // Wide merges: 5,000 copies of 2,000 keys, ten million copied keys if nothing stopped them.
    const keys = Array.from({ length: 2_000 }, (_, i) => `k${i}: ${i}`).join(', ');
    const wide = [`w: &w {${keys}}`, ...Array.from({ length: 5_000 }, (_, i) => `m${i}: {<<: *w}`)];
    const refused = await load(wide.join('\n'), 'merge-wide.yaml');
    expect(refused.error?.message).toMatch(/merge-wide\.yaml:\d+:\d+: its merge keys \(<<\) copy over 200000 values/);
    expect(refused.cpuMs).toBeLessThan(1_000);
  });

  it('deep nesting (100,000 levels) in YAML and in JSON is a config error, not a crash', async () => {
    const depth = 100_000;
    const json = await load(`{"model_list": ${'['.repeat(depth)}${']'.repeat(depth)}}`, 'deep.json');
    expect(json.error).toBeDefined();
    const yaml = await load(`model_list: ${'['.repeat(depth)}${']'.repeat(depth)}`, 'deep.yaml');
    expect(yaml.error).toBeDefined();
  });

  it('a file over the limit is refused before it is parsed, named by --config or found by the search', async () => {
    const big = `model_list:\n${'  - model_name: a\n    litellm_params: { model: hosted_vllm/a, api_base: "http://h:1" }\n'.repeat(40_000)}`;
    const named = await load(big, 'big.yaml');
    expect(named.error?.message).toMatch(/bytes; the limit is/);
    expect(named.cpuMs).toBeLessThan(300);
    const found = tempDir('llmpass-config-big-');
    writeFileSync(join(found, 'llmpass.config.yaml'), big);
    const started = performance.now();
    await expect(loadConfig({ cwd: found, env: {} })).rejects.toThrow(/bytes; the limit is/);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('through the CLI', () => {
  it('the worst of them are one line on stderr, exit 2, no stack trace', async () => {
    assertBuilt();
    const cases: Record<string, string> = {
      'bomb.yaml': `a: &a [x,x,x,x,x,x,x,x,x]\n${['b', 'c', 'd', 'e', 'f', 'g'].map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`).join('\n')}\n`,
      'tabs.yaml': 'model_list:\n\t- model_name: a\n',
      'nul.json': '{"model_list": \u0000}',
      'secret.json': '{"model_list": [{"model_name": "a", "litellm_params": {"api_key": "sk-never-shown-123"}}]}x',
      'controls.yaml': 'model_list:\n  - model_name: "a\\r\\nb"\n    litellm_params: { model: hosted_vllm/m, extra_headers: { x-a: "1\\r\\nx-b: 2" } }\n',
      'not-a-mapping.yaml': '- just\n- a\n- list\n',
      'tags.yaml': 'model_list: !!python/object:os.system [ls]\n',
    };
    const work = tempDir('llmpass-config-cli-');
    for (const [name, text] of Object.entries(cases)) {
      writeFileSync(join(work, name), text);
      const result = await runCli({ args: ['models', '--config', name], cwd: work });
      expect(result.code, `${name}: ${result.stderr}`).toBe(2);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^llmpass: .*${name.replace('.', '\\.')}`));
      expect(stackLines(result.stderr)).toEqual([]);
      expect(result.stderr).not.toContain('sk-never-shown');
    }
  });
});
