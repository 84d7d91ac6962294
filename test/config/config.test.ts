import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/load.ts';
import { ConfigError, MissingSettingError, UnusableModelError } from '../../src/errors.ts';
import { Router } from '../../src/router/router.ts';
import { cleanupTemp, tempDir, writeFiles } from '../support/tmp.ts';

afterAll(cleanupTemp);

const VLLM_ENTRY = `model_list:
  - model_name: roberta-base-language-detection
    litellm_params:
      model: hosted_vllm/papluca/xlm-roberta-base-language-detection
      api_base: http://127.0.0.1:8000/v1
`;

/** A directory with `files`, searched from `sub` (created) when given. */
function project(files: Record<string, string>, sub?: string): { dir: string; cwd: string } {
  const dir = writeFiles(tempDir(), files);
  const cwd = sub ? join(dir, sub) : dir;
  mkdirSync(cwd, { recursive: true });
  return { dir, cwd };
}

async function loadError(promise: Promise<Config>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the config to fail to load');
}

const aliases = (config: Config) => config.modelList.map((entry) => entry.model_name);

describe('finding the config', () => {
  it('finds llmpass.config.yaml in the working directory', async () => {
    const { dir, cwd } = project({ 'llmpass.config.yaml': VLLM_ENTRY });
    const config = await loadConfig({ cwd, env: {} });
    expect(config.filepath).toBe(join(dir, 'llmpass.config.yaml'));
    expect(aliases(config)).toEqual(['roberta-base-language-detection']);
    expect(config.modelList[0]!.litellm_params.api_base).toBe('http://127.0.0.1:8000/v1');
  });

  it('searches up from a subdirectory to the repository root', async () => {
    const { dir, cwd } = project({ 'llmpass.config.yaml': VLLM_ENTRY, '.git/HEAD': 'ref: refs/heads/main\n' }, 'a/b/c');
    const config = await loadConfig({ cwd, env: {} });
    expect(config.filepath).toBe(join(dir, 'llmpass.config.yaml'));
  });

  it('finds .llmpassrc.yaml', async () => {
    const { dir, cwd } = project({ '.llmpassrc.yaml': 'model_list:\n  - model_name: rc\n    litellm_params: { model: openai/gpt-4o-mini }\n' });
    const config = await loadConfig({ cwd, env: {} });
    expect(config.filepath).toBe(join(dir, '.llmpassrc.yaml'));
    expect(aliases(config)).toEqual(['rc']);
  });

  it('finds a YAML .llmpassrc without extension and llmpass.config.json', async () => {
    const rc = project({ '.llmpassrc': 'model_list:\n  - model_name: bare-rc\n    litellm_params: { model: openai/gpt-4o }\n' });
    expect(aliases(await loadConfig({ cwd: rc.cwd, env: {} }))).toEqual(['bare-rc']);
    const json = project({ 'llmpass.config.json': JSON.stringify({ model_list: [{ model_name: 'j', litellm_params: { model: 'openai/gpt-4o' } }] }) });
    expect(aliases(await loadConfig({ cwd: json.cwd, env: {} }))).toEqual(['j']);
  });

  it('finds package.json#llmpass, and skips a package.json without it', async () => {
    const pkg = { name: 'x', version: '1.0.0', llmpass: { model_list: [{ model_name: 'from-pkg', litellm_params: { model: 'hosted_vllm/m', api_base: 'http://h:1' } }] } };
    const { dir, cwd } = project({ 'package.json': JSON.stringify(pkg) });
    const config = await loadConfig({ cwd, env: {} });
    expect(config.filepath).toBe(join(dir, 'package.json'));
    expect(aliases(config)).toEqual(['from-pkg']);

    const nested = project({ 'llmpass.config.yaml': VLLM_ENTRY, 'app/package.json': JSON.stringify({ name: 'app' }), '.git/HEAD': 'ref: refs/heads/main\n' }, 'app');
    expect((await loadConfig({ cwd: nested.cwd, env: {} })).filepath).toBe(join(nested.dir, 'llmpass.config.yaml'));
  });

  it('prefers llmpass.config.yaml over .llmpassrc.yaml and package.json in the same directory', async () => {
    const { dir, cwd } = project({
      'llmpass.config.yaml': VLLM_ENTRY,
      '.llmpassrc.yaml': 'model_list: []\n',
      'package.json': JSON.stringify({ llmpass: { model_list: [] } }),
    });
    expect((await loadConfig({ cwd, env: {} })).filepath).toBe(join(dir, 'llmpass.config.yaml'));
  });

  it('loads --config (configPath) relative to cwd, over LLMPASS_CONFIG and the search', async () => {
    const { dir, cwd } = project({
      'llmpass.config.yaml': VLLM_ENTRY,
      'conf/other.yaml': 'model_list:\n  - model_name: other\n    litellm_params: { model: openai/gpt-4o }\n',
      'env.yaml': 'model_list:\n  - model_name: from-env\n    litellm_params: { model: openai/gpt-4o }\n',
    });
    const config = await loadConfig({ cwd, configPath: 'conf/other.yaml', env: { LLMPASS_CONFIG: join(dir, 'env.yaml') } });
    expect(config.filepath).toBe(join(dir, 'conf/other.yaml'));
    expect(aliases(config)).toEqual(['other']);
  });

  it('loads LLMPASS_CONFIG over the search', async () => {
    const { dir, cwd } = project({
      'llmpass.config.yaml': VLLM_ENTRY,
      'env.yaml': 'model_list:\n  - model_name: from-env\n    litellm_params: { model: openai/gpt-4o }\n',
    });
    const config = await loadConfig({ cwd, env: { LLMPASS_CONFIG: 'env.yaml' } });
    expect(config.filepath).toBe(join(dir, 'env.yaml'));
    expect(aliases(config)).toEqual(['from-env']);
  });

  it('a --config or LLMPASS_CONFIG that does not exist is an error naming it and where it came from', async () => {
    const { cwd } = project({});
    const fromFlag = await loadError(loadConfig({ cwd, configPath: 'missing.yaml', env: {} }));
    expect(fromFlag).toBeInstanceOf(ConfigError);
    expect(fromFlag.message).toMatch(/missing\.yaml \(from --config\) does not exist/);
    const fromEnv = await loadError(loadConfig({ cwd, env: { LLMPASS_CONFIG: join(cwd, 'nope.yaml') } }));
    expect(fromEnv.message).toMatch(/nope\.yaml \(from LLMPASS_CONFIG\) does not exist/);
    const dir = await loadError(loadConfig({ cwd, configPath: '.', env: {} }));
    expect(dir.message).toMatch(/is not a file/);
  });
});

describe('reading it as LiteLLM does', () => {
  it('reads YAML 1.1 as PyYAML does: 20_000 is 20000', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': `model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      tpm: 20_000
      rpm: 1_000
      timeout: 30
`,
    });
    const params = (await loadConfig({ cwd, env: {} })).modelList[0]!.litellm_params;
    expect(params.tpm).toBe(20000);
    expect(params.rpm).toBe(1000);
    expect(params.timeout).toBe(30);
  });

  it('reads the rest of YAML 1.1 as PyYAML does: merge keys, a repeated key overriding, yes/on, 1e3 kept as text', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': `defaults: &defaults
  api_base: http://127.0.0.1:8000
  timeout: 30
model_list:
  - model_name: m
    litellm_params:
      <<: *defaults
      model: hosted_vllm/m
      timeout: 60
      timeout: 90
general_settings:
  background_health_checks: on
  disable_spend_logs: yes
  note: 1e3
`,
    });
    const config = await loadConfig({ cwd, env: {} });
    const params = config.modelList[0]!.litellm_params;
    expect(params.api_base).toBe('http://127.0.0.1:8000');
    expect(params.timeout).toBe(90);
    const general = config.raw.general_settings as Record<string, unknown>;
    expect(general.background_health_checks).toBe(true);
    expect(general.disable_spend_logs).toBe(true);
    expect(general.note).toBe('1e3');
  });

  it('loads a full LiteLLM proxy config with every section', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': `# a LiteLLM proxy config, unchanged
model_list:
  - model_name: roberta-base-language-detection
    litellm_params:
      model: hosted_vllm/papluca/xlm-roberta-base-language-detection
      api_base: os.environ/VLLM_BASE
      api_key: os.environ/VLLM_KEY
      rpm: 60
    model_info:
      id: roberta-1
      mode: embedding
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      extra_headers:
        x-team: research
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_key: os.environ/ANTHROPIC_API_KEY
      max_tokens: 1024
      stream_timeout: 60

litellm_settings:
  drop_params: true
  set_verbose: false
  num_retries: 3
  request_timeout: 600
  success_callback: ["langfuse"]
  cache: true
  cache_params:
    type: redis

router_settings:
  routing_strategy: least-busy
  num_retries: 2
  timeout: 30
  allowed_fails: 3
  cooldown_time: 5
  fallbacks: [{"gpt-4o": ["claude"]}]
  redis_host: os.environ/REDIS_HOST

general_settings:
  master_key: sk-1234
  database_url: os.environ/DATABASE_URL
  alerting: ["slack"]
  pass_through_endpoints:
    - path: /v1/rerank
      target: https://api.cohere.com/v1/rerank
      headers:
        Authorization: "bearer os.environ/COHERE_API_KEY"
      include_subpath: false

environment_variables:
  VLLM_BASE: http://127.0.0.1:8000/v1
  VLLM_KEY: sk-from-config
`,
    });
    const config = await loadConfig({ cwd, env: {} });
    expect(aliases(config)).toEqual(['roberta-base-language-detection', 'gpt-4o', 'claude']);
    expect(config.raw.router_settings?.routing_strategy).toBe('least-busy');
    expect(config.raw.litellm_settings?.num_retries).toBe(3);
    expect((config.raw.litellm_settings as Record<string, unknown>).drop_params).toBe(true);
    expect(config.raw.general_settings?.pass_through_endpoints?.[0]?.path).toBe('/v1/rerank');
    // environment_variables feed os.environ/ references; the process environment wins over them.
    expect(config.env('VLLM_BASE')).toBe('http://127.0.0.1:8000/v1');
    const router = new Router({ config });
    expect(router.settings.routingStrategy).toBe('least-busy');
    expect(router.settings.fallbacks).toEqual([{ 'gpt-4o': ['claude'] }]);
    const [deployment] = router.resolve('roberta-base-language-detection').deployments;
    expect(deployment!.apiBase).toBe('http://127.0.0.1:8000/v1');
    expect(deployment!.model).toBe('papluca/xlm-roberta-base-language-detection');
    expect(deployment!.apiKey?.reveal()).toBe('sk-from-config');
    expect(deployment!.apiKey?.describe()).toBe('$VLLM_KEY');

    const overridden = await loadConfig({ cwd, env: { VLLM_KEY: 'sk-from-process' } });
    expect(new Router({ config: overridden }).resolve('roberta-base-language-detection').deployments[0]!.apiKey?.reveal()).toBe('sk-from-process');
  });

  it('an empty file, or no file at all, is an empty config', async () => {
    const { cwd } = project({ 'llmpass.config.yaml': '' });
    const config = await loadConfig({ cwd, env: {} });
    expect(config.modelList).toEqual([]);
  });

  it('a file of comments only is an empty config, as an empty file is (PyYAML reads no document as None)', async () => {
    const comments = '# model_list:\n#   - model_name: x\n';
    const emptyDir = project({ 'llmpass.config.yaml': '' });
    const empty = await loadConfig({ cwd: emptyDir.cwd, env: {} });
    expect([empty.filepath, empty.modelList]).toEqual([join(emptyDir.dir, 'llmpass.config.yaml'), []]);
    const commentsDir = project({ 'llmpass.config.yaml': comments });
    const searched = await loadConfig({ cwd: commentsDir.cwd, env: {} });
    expect([searched.filepath, searched.modelList]).toEqual([join(commentsDir.dir, 'llmpass.config.yaml'), []]);
    const { dir, cwd } = project({ 'llmpass.config.yaml': comments });
    const named = await loadConfig({ cwd, configPath: 'llmpass.config.yaml', env: {} });
    expect([named.filepath, named.modelList]).toEqual([join(dir, 'llmpass.config.yaml'), []]);
  });

  it('a parse error keeps no cause that quotes the file: a logger printing the error prints no key', async () => {
    for (const [name, text] of [
      ['llmpass.config.yaml', 'model_list:\n  - model_name: a\n    litellm_params: { api_key: sk-never-logged-42, model: [\n'],
      ['llmpass.config.json', '{"model_list": [{"model_name": "a", "litellm_params": {"api_key": "sk-never-logged-42"}}]} x'],
    ] as const) {
      const error = await loadError(loadConfig({ cwd: project({ [name]: text }).cwd, env: {} }));
      expect(error).toBeInstanceOf(ConfigError);
      const printed = `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`;
      expect(printed, name).not.toContain('sk-never-logged');
    }
  });

  it('a file of several YAML documents is refused in one line, as safe_load refuses it', async () => {
    const { cwd } = project({ 'llmpass.config.yaml': `${VLLM_ENTRY}---\nmodel_list: []\n` });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/llmpass\.config\.yaml: holds 2 YAML documents/);
    expect(error.message).not.toContain('\n');
  });

  it('reads booleans, numbers and dates as PyYAML does: y/n stay text, a date stays the text as written', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': `model_list:
  - model_name: azure
    litellm_params:
      model: azure/gpt-4o
      api_base: https://example.openai.azure.com
      api_version: 2024-02-01
general_settings:
  axes: {x: 1, y: 2, n: 3}
  answer: y
  upper: N
  explicit: !!bool YES
  stamp: 2024-02-01 10:00:00
  hex: 0x1F
  octal: 0777
  sexagesimal: 1:30
  nothing: ~
`,
    });
    const config = await loadConfig({ cwd, env: {} });
    expect(config.modelList[0]!.litellm_params.api_version).toBe('2024-02-01');
    expect(config.raw.general_settings).toMatchObject({
      axes: { x: 1, y: 2, n: 3 },
      answer: 'y',
      upper: 'N',
      explicit: true,
      stamp: '2024-02-01 10:00:00',
      hex: 31,
      octal: 511,
      sexagesimal: 90,
      nothing: null,
    });
  });

  it('merges defaults into thousands of deployments (js-yaml stops at 10,000 merged keys by default)', async () => {
    const deployments = Array.from({ length: 2_000 }, (_, i) => `  - model_name: m${i}\n    litellm_params:\n      <<: *defaults\n      model: hosted_vllm/m${i}\n`);
    const { cwd } = project({
      'llmpass.config.yaml': `defaults: &defaults
  api_base: http://127.0.0.1:8000/v1
  timeout: 30
  rpm: 60
  tpm: 20_000
  max_retries: 2
model_list:
${deployments.join('')}`,
    });
    const config = await loadConfig({ cwd, env: {} });
    expect(config.modelList).toHaveLength(2_000);
    expect(config.modelList[1_999]!.litellm_params).toMatchObject({ model: 'hosted_vllm/m1999', api_base: 'http://127.0.0.1:8000/v1', tpm: 20000 });
  });
});

describe('errors name the file and the path in it', () => {
  it('a bad api_base: `llmpass.config.yaml: model_list[2].litellm_params.api_base: not a URL ("htp:/x")`', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': `model_list:
  - model_name: a
    litellm_params: { model: hosted_vllm/a, api_base: "http://127.0.0.1:8000" }
  - model_name: b
    litellm_params: { model: openai/gpt-4o }
  - model_name: c
    litellm_params:
      model: hosted_vllm/c
      api_base: "htp:/x"
`,
    });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('llmpass.config.yaml: model_list[2].litellm_params.api_base: not a URL ("htp:/x")');
    expect(error.message).not.toContain('\n');
  });

  it('extra_headers given as a list is refused, not sent as headers named 0 and 1', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': `model_list:
  - model_name: a
    litellm_params:
      model: hosted_vllm/a
      api_base: "http://127.0.0.1:8000"
      extra_headers: [x-team, research]
`,
    });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('llmpass.config.yaml: model_list[0].litellm_params.extra_headers: expected a mapping of header names to values');
  });

  it('a JavaScript config that fails to load names its file, found by the search as given by --config', async () => {
    for (const [text, said] of [['export default {', /Unexpected end of input|Unexpected token/], ["throw new Error('boom from config')", /boom from config/]] as const) {
      const { cwd } = project({ 'llmpass.config.mjs': text });
      const found = await loadError(loadConfig({ cwd, env: {} }));
      expect(found).toBeInstanceOf(ConfigError);
      expect(found.message).toMatch(/(^|\/)llmpass\.config\.mjs: /);
      expect(found.message).toMatch(said);
      const named = await loadError(loadConfig({ cwd, env: {}, configPath: 'llmpass.config.mjs' }));
      expect(named.message).toMatch(/(^|\/)llmpass\.config\.mjs: /);
    }
  });

  it('a missing model_name names its entry', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': 'model_list:\n  - model_name: ok\n    litellm_params: { model: openai/gpt-4o }\n  - litellm_params: { model: openai/gpt-4o }\n',
    });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/llmpass\.config\.yaml: model_list\[1\]\.model_name: /);
  });

  it('a missing litellm_params names its entry', async () => {
    const { cwd } = project({ 'llmpass.config.yaml': 'model_list:\n  - model_name: lonely\n' });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/llmpass\.config\.yaml: model_list\[0\]\.litellm_params: /);
  });

  // schema.ts gives model_name and litellm_params.model a "required: ..." message, but valibot reports a
  // missing key with the enclosing object's message, so a missing model reads "expected a mapping (model,
  // api_base, api_key, ...)" although litellm_params is a mapping.
  it('a missing model_name or litellm_params.model says that it is required', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': 'model_list:\n  - litellm_params: { model: openai/gpt-4o }\n  - model_name: b\n    litellm_params: { api_base: "http://h:1" }\n',
    });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error.message).toMatch(/model_list\[0\]\.model_name: required/);
    expect(error.message).toMatch(/model_list\[1\]\.litellm_params\.model: required/);
  });

  it('reports every problem at once', async () => {
    const { cwd } = project({
      'llmpass.config.yaml': `model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o, api_base: "ftp://h" }
  - model_name: b
    litellm_params: { model: openai/gpt-4o, tpm: -1 }
router_settings:
  num_retries: many
`,
    });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error.message).toContain('model_list[0].litellm_params.api_base: not a URL ("ftp://h")');
    expect(error.message).toContain('model_list[1].litellm_params.tpm');
    expect(error.message).toContain('router_settings.num_retries');
  });

  const brokenYaml = 'model_list:\n  - model_name: a\n    litellm_params: { model: [unclosed\n';

  it('a YAML syntax error names the file, in one line', async () => {
    const { cwd } = project({ 'llmpass.config.yaml': brokenYaml });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/llmpass\.config\.yaml(:\d+)*: \S/);
    expect(error.message).not.toContain('\n');
  });

  // yaml-loader.ts parses with `prettyErrors: false`, which leaves YAMLParseError.linePos unset, so the
  // `file:line:col` it builds from linePos never has the line.
  it('a YAML syntax error names the line (llmpass.config.yaml:LINE:COL)', async () => {
    const { cwd } = project({ 'llmpass.config.yaml': brokenYaml });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error.message).toMatch(/llmpass\.config\.yaml:\d+(:\d+)?: /);
  });

  it('an unquoted value read as a tag or an alias is not quoted in the error (a key starting with ! or *)', async () => {
    const cases: Array<[string, RegExp]> = [
      ['!Secr3tValue', /unknown tag/],
      ['!!Secr3tValue', /unknown tag/],
      ['!<!Secr3tValue> x', /unknown tag/],
      ['!Secr3t!Value x', /unknown tag/],
      ['!Secr%3tValue x', /invalid tag/],
      ['*Secr3tValue', /unknown alias/],
    ];
    for (const [value, reason] of cases) {
      const { cwd } = project({ 'llmpass.config.yaml': `general_settings:\n  master_key: ${value}\n` });
      const error = await loadError(loadConfig({ cwd, env: {} }));
      expect(error, value).toBeInstanceOf(ConfigError);
      expect(error.message, value).toMatch(/llmpass\.config\.yaml:2:\d+: /);
      expect(error.message, value).toMatch(reason);
      expect(error.message, value).not.toMatch(/Secr|\n/);
    }
  });

  it('a top level that is not a mapping is refused', async () => {
    const { cwd } = project({ 'llmpass.config.yaml': '- just\n- a list\n' });
    const error = await loadError(loadConfig({ cwd, env: {} }));
    expect(error.message).toMatch(/llmpass\.config\.yaml: expected a mapping at the top level/);
  });
});

describe('what LiteLLM only finds out on call still loads', () => {
  const yaml = `model_list:
  - model_name: fine
    litellm_params: { model: hosted_vllm/m, api_base: "http://127.0.0.1:8000" }
  - model_name: unsupported
    litellm_params: { model: someprovider/some-model }
  - model_name: bare
    litellm_params: { model: dall-e-3 }
  - model_name: empty-azure
    litellm_params: { model: azure/ }
  - model_name: needs-var
    litellm_params:
      model: hosted_vllm/m
      api_base: os.environ/LLMPASS_TEST_UNSET_BASE
  - model_name: needs-key
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/LLMPASS_TEST_UNSET_KEY
`;

  it('an unsupported provider, a bare dall-e-3 and azure/ load; calling them is an error naming the alias', async () => {
    const { cwd } = project({ 'llmpass.config.yaml': yaml });
    const config = await loadConfig({ cwd, env: {} });
    expect(aliases(config)).toEqual(['fine', 'unsupported', 'bare', 'empty-azure', 'needs-var', 'needs-key']);
    const router = new Router({ config });
    expect(router.resolve('fine').deployments[0]!.apiBase).toBe('http://127.0.0.1:8000');
    for (const [alias, why] of [
      ['unsupported', /provider "someprovider" is not supported/],
      ['bare', /cannot tell the provider of "dall-e-3"/],
      ['empty-azure', /names no model after "azure\/"/],
    ] as const) {
      let error: unknown;
      try {
        router.resolve(alias);
      } catch (caught) {
        error = caught;
      }
      expect(error, alias).toBeInstanceOf(UnusableModelError);
      expect((error as Error).message).toContain(`alias "${alias}"`);
      expect((error as Error).message).toMatch(why);
    }
  });

  it('a missing os.environ/VAR errors only when its alias is used, naming the variable and the alias', async () => {
    const { cwd } = project({ 'llmpass.config.yaml': yaml });
    const config = await loadConfig({ cwd, env: {} });
    const router = new Router({ config });
    expect(() => router.resolve('fine')).not.toThrow();
    for (const [alias, variable] of [['needs-var', 'LLMPASS_TEST_UNSET_BASE'], ['needs-key', 'LLMPASS_TEST_UNSET_KEY']] as const) {
      let error: unknown;
      try {
        router.resolve(alias);
      } catch (caught) {
        error = caught;
      }
      expect(error, alias).toBeInstanceOf(MissingSettingError);
      expect((error as Error).message).toContain(variable);
      expect((error as Error).message).toContain(`alias "${alias}"`);
    }
    // Once set, the same config resolves.
    const withVars = await loadConfig({ cwd, env: { LLMPASS_TEST_UNSET_BASE: 'http://127.0.0.1:9/v1', LLMPASS_TEST_UNSET_KEY: 'sk-x' } });
    const resolved = new Router({ config: withVars });
    expect(resolved.resolve('needs-var').deployments[0]!.apiBase).toBe('http://127.0.0.1:9/v1');
    expect(resolved.resolve('needs-key').deployments[0]!.apiKey?.describe()).toBe('$LLMPASS_TEST_UNSET_KEY');
  });
});
