// Config errors quote the value they refuse so a typo shows, but never a key: one pasted into the wrong field is
// masked, and a value under a credential's key (api_key, master_key, redis_password...) is not quoted at all.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { masked, quoteValue } from '../../src/config/quote-value.ts';
import { ConfigError } from '../../src/errors.ts';
import { assertBuilt, runCli } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

afterAll(cleanupTemp);

const KEY = 'sk-proj-QuotedValuesCanary0123456789abcdef';
// What must never show: the key, or any part of it past the first four characters.
const TAIL = KEY.slice(4);

const keyInApiBase = `model_list:
  - model_name: pasted
    litellm_params:
      model: openai/gpt-4o
      api_base: "${KEY}"
`;

async function loadError(yaml: string): Promise<string> {
  try {
    await loadConfig({ cwd: tempConfig(yaml), env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to fail to load');
}

describe('what of a value an error quotes', () => {
  it('a typo is quoted as written', () => {
    expect(quoteValue('htp:/x')).toBe('"htp:/x"');
    expect(quoteValue('localhost:8000')).toBe('"localhost:8000"');
    expect(quoteValue('my-azure-resource-eastus2.openai.azure.com')).toBe('"my-azure-resource-eastus2.openai.azure.com"');
    expect(quoteValue(12)).toBe('12');
  });

  it('a known key prefix, anywhere a word starts, keeps at most four characters', () => {
    expect(quoteValue(KEY)).toBe('"sk-p…"');
    for (const key of ['sk_live_abcdefgh', 'AKIAIOSFODNN7EXAMPLE', 'AIzaSyA-abcdefghijkl', 'xai-abcdefgh', 'gsk_abcdefgh', 'hf_abcdefgh']) {
      expect(quoteValue(key)).toBe(`"${key.slice(0, 4)}…"`);
    }
    expect(quoteValue(`Bearer ${KEY}`)).toBe('"Bear…"');
    expect(quoteValue('htp://h/?key=AIzaSyA-abcdefghijkl')).toBe('"htp:…"');
    expect(quoteValue('hf_x')).toBe('"hf…"');
  });

  it('a long run of base64- or hex-like characters is masked too', () => {
    expect(quoteValue('0123456789abcdef0123456789abcdef')).toBe('"0123…"');
    expect(quoteValue('OPENAI_API_KEY=Zm9vYmFyYmF6cXV4cXV1eHF1dXg=')).toBe('"OPEN…"');
  });

  it('key shapes with dots or slashes are masked: AWS secret keys, Google OAuth tokens, JWTs, GitHub tokens', () => {
    const shapes = [
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', // AWS secret access key, `/` inside
      'wJalrXUtnFEMI+K7MDENG+bPxRfiCYEXAMPLEKEY',
      'ya29.a0AfExampleCanary-Token_0123456789',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJl', // a JWT
      'ghp_ExampleCanary0123456789abcdefABCDEF',
      'github_pat_11ExampleCanary_0123456789abcdef',
      'sk-ant-api03-ExampleCanary',
    ];
    for (const key of shapes) {
      expect(quoteValue(key)).toBe(`"${key.slice(0, 4)}…"`);
      expect(quoteValue(`Authorization: Bearer ${key}`)).toBe('"Auth…"');
    }
    expect(quoteValue('aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe('"aws_…"');
    expect(quoteValue('htp://h/?access_token=ya29.a0AfExample')).toBe('"htp:…"');
  });

  it('URLs, model names and short typos still show as written', () => {
    for (const value of [
      'https://my-resource.openai.azure.com/openai/deployments/gpt-4o',
      'http://localhost:8000/v1/chat/completions/abcdefgh', // 40 characters after the port, one case: a path
      'hosted_vllm/papluca/xlm-roberta-base-language-detection',
      'bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0',
      'openai/gpt-4o',
      'opneai/gpt-4o',
      'gpt4o',
      'htp:/x',
      'eyes',
      'sky-1',
      'https://example.com/?eyes=1',
    ]) {
      expect(quoteValue(value)).toBe(JSON.stringify(value));
    }
  });

  it('a value past a few hundred characters shows its first four only, in linear time however it is made', () => {
    const url = `https://example.com/${'path/'.repeat(60)}`;
    expect(quoteValue(url)).toBe('"http…"');
    const MiB = 1024 * 1024;
    const pathological = [
      '='.repeat(MiB),
      `${'='.repeat(MiB)}/`,
      `${'a'.repeat(MiB)}/`,
      `${'0123456789'.repeat(MiB / 10)}/`,
      `${'=a'.repeat(MiB / 2)}/`,
      `${':aaaaaaaaaaaaaaaaaaaaaaaaa'.repeat(MiB / 26)}.`,
      `${'-eyJ'.repeat(MiB / 4)}`,
    ];
    for (const value of pathological) {
      const start = performance.now();
      const shown = masked(value);
      expect(performance.now() - start).toBeLessThan(100);
      expect(shown).toBe(`${value.slice(0, 4)}…`);
    }
    // Just short enough to be scanned: shown whole, and as fast.
    for (const value of ['='.repeat(255), `${'='.repeat(254)}/`, `${'a'.repeat(254)}/`, `${'=a'.repeat(127)}/`]) {
      const start = performance.now();
      expect(masked(value)).toBe(value);
      expect(performance.now() - start).toBeLessThan(100);
    }
  });

  it('a list or a mapping is named by its kind, never printed', () => {
    expect(quoteValue([KEY])).toBe('a list');
    expect(quoteValue({ key: KEY })).toBe('a mapping');
  });
});

describe('config errors never quote a key', () => {
  it('a key pasted into api_base is masked; `not a URL ("htp:/x")` is unchanged', async () => {
    const message = await loadError(keyInApiBase);
    expect(message).toContain('llmpass.config.yaml: model_list[0].litellm_params.api_base: not a URL ("sk-p…")');
    expect(message).not.toContain(TAIL);

    const typo = await loadError(keyInApiBase.replace(KEY, 'htp:/x'));
    expect(typo).toContain('llmpass.config.yaml: model_list[0].litellm_params.api_base: not a URL ("htp:/x")');
  });

  it('a key without a known prefix in a pass-through target is masked too', async () => {
    const opaque = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXgxMjM0NTY3ODk';
    const message = await loadError(`general_settings:\n  pass_through_endpoints:\n    - { path: /x, target: "${opaque}" }\n`);
    expect(message).toContain('general_settings.pass_through_endpoints[0].target: not a URL ("Zm9v…")');
    expect(message).not.toContain(opaque.slice(4));
  });

  it('a URL that does not parse (a bad port) shows with its userinfo and query masked: both carry credentials', async () => {
    const base = 'http://svc:pw-Canary7@127.0.0.1:999999/fn?code=q-Canary8&x=1';
    const message = await loadError(keyInApiBase.replace(KEY, base));
    expect(message).toContain('model_list[0].litellm_params.api_base: not a URL ("http://***@127.0.0.1:999999/fn?***")');
    const target = await loadError(`general_settings:\n  pass_through_endpoints:\n    - { path: /x, target: "${base}" }\n`);
    expect(target).toContain('general_settings.pass_through_endpoints[0].target: not a URL ("http://***@127.0.0.1:999999/fn?***")');
    for (const text of [message, target]) expect(text).not.toMatch(/Canary/);
  });

  it('an AWS secret key or a JWT pasted into a URL field is masked', async () => {
    const aws = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const message = await loadError(keyInApiBase.replace(KEY, aws));
    expect(message).toContain('model_list[0].litellm_params.api_base: not a URL ("wJal…")');
    expect(message).not.toContain(aws.slice(4));

    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJl';
    const target = await loadError(`general_settings:\n  pass_through_endpoints:\n    - { path: /x, target: "${jwt}" }\n`);
    expect(target).toContain('general_settings.pass_through_endpoints[0].target: not a URL ("eyJh…")');
    expect(target).not.toContain(jwt.slice(4));
  });

  it('a value of nearly 1 MiB, the most a config file holds, is cut short in the error', async () => {
    const message = await loadError(keyInApiBase.replace(KEY, `${'='.repeat(1024 * 1024 - 200)}/`));
    expect(message).toContain('model_list[0].litellm_params.api_base: not a URL ("====…")');
    expect(message.length).toBeLessThan(1000);
  });

  it('a bad value under api_key, master_key or any key naming a credential is not quoted, even masked', async () => {
    const message = await loadError(`model_list:
  - model_name: list
    litellm_params: { model: openai/gpt-4o, api_key: ["${KEY}"] }
  - model_name: mapping
    litellm_params: { model: openai/gpt-4o, api_key: { value: "${KEY}" } }
router_settings:
  redis_key_prefix: 90210
general_settings:
  master_key: ["${KEY}"]
`);
    expect(message).toContain('model_list[0].litellm_params.api_key: expected a string');
    expect(message).toContain('model_list[1].litellm_params.api_key: expected a string');
    expect(message).toContain('general_settings.master_key: expected a string');
    // valibot's own message quoted it ("... but received 90210"): under a credential's key, it says what is wrong only.
    expect(message).toMatch(/router_settings\.redis_key_prefix: expected string(;|$)/);
    expect(message).not.toContain('90210');
    expect(message).not.toContain(TAIL);
    expect(message).not.toContain('sk-p');
  });

  it('a mapping key that looks like a key is masked in the path', async () => {
    const message = await loadError(`environment_variables:\n  "${KEY}": [1]\n`);
    expect(message).toContain('environment_variables.sk-p…: expected a string');
    expect(message).not.toContain(TAIL);
  });

  it('through the CLI: `models --config FILE` prints the masked value, never the key', async () => {
    assertBuilt();
    const cwd = tempConfig('', { 'pasted.yaml': keyInApiBase, 'typo.yaml': keyInApiBase.replace(KEY, 'htp:/x') });
    const pasted = await runCli({ args: ['models', '--config', 'pasted.yaml'], cwd });
    expect(pasted.code, pasted.stderr).toBe(2);
    expect(pasted.stderr).toContain('pasted.yaml: model_list[0].litellm_params.api_base: not a URL ("sk-p…")');
    expect(pasted.stderr + pasted.stdout.toString()).not.toContain(TAIL);

    const typo = await runCli({ args: ['models', '--config', 'typo.yaml'], cwd });
    expect(typo.code, typo.stderr).toBe(2);
    expect(typo.stderr).toContain('typo.yaml: model_list[0].litellm_params.api_base: not a URL ("htp:/x")');
  });
});
