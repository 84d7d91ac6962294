// What `llmpass init` writes: short aliases, and YAML that reads back (PyYAML 1.1 rules) as the text it was.
import { describe, expect, it } from 'vitest';
import { aliasFor, aliasesFor, renderInitConfig } from '../../src/cli/init/init-config.ts';
import { loadYaml11 } from '../../src/config/yaml-loader.ts';
import { findProvider } from '../../src/providers/registry.ts';

describe('aliases', () => {
  it.each([
    ['papluca/xlm-roberta-base-language-detection', 'xlm-roberta-base-language-detection'],
    ['meta-llama/Meta-Llama-3.1-8B-Instruct', 'meta-llama-3.1-8b-instruct'],
    ['llama3.2:latest', 'llama3.2'],
    ['qwen2.5:7b', 'qwen2.5-7b'],
    ['/models/My Model!', 'my-model'],
    ['???', 'model'],
  ])('%s → %s', (model, alias) => {
    expect(aliasFor(model)).toBe(alias);
  });

  it('are unique', () => {
    expect(aliasesFor(['a/m', 'b/m', 'c/M'])).toEqual(['m', 'm-2', 'm-3']);
  });
});

describe('renderInitConfig', () => {
  it('reads back (as PyYAML 1.1 reads) as the same values, odd model names quoted, the key as os.environ/VAR', async () => {
    const models = ['org/model', 'yes', 'on', '1:20', '0x1F', 'a: b', 'x#y'];
    const text = renderInitConfig({ provider: findProvider('hosted_vllm')!, apiBase: 'http://h:8000/v1', models, apiKeyEnv: 'VLLM_KEY' });
    const read = (await loadYaml11('llmpass.config.yaml', text)) as { model_list: Array<{ model_name: string; litellm_params: Record<string, string> }> };
    expect(read.model_list.map((entry) => entry.litellm_params.model)).toEqual(models.map((model) => `hosted_vllm/${model}`));
    expect(read.model_list.map((entry) => entry.model_name)).toEqual(['model', 'yes', 'on', '1-20', '0x1f', 'a-b', 'x-y']);
    expect(read.model_list[0]!.litellm_params).toEqual({ model: 'hosted_vllm/org/model', api_base: 'http://h:8000/v1', api_key: 'os.environ/VLLM_KEY' });
    expect(text).toContain('  - model_name: "yes"\n');
  });
});
