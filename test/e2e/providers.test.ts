// `llmpass providers`: the provider table as a person and a script see it; a key is a mark, never a value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, runCli } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

const OPENAI_KEY = 'sk-openai-secret-abcdefghij';
const ACME_KEY = 'acme-secret-from-config-env-42';

beforeAll(assertBuilt);
afterAll(cleanupTemp);

const CONFIG = `providers:
  - id: acme
    label: ACME inference
    api_base: https://llm.acme.example/v1
    auth: { header: X-Acme-Key }
    api_key_env: ACME_KEY
environment_variables:
  ACME_KEY: ${ACME_KEY}
`;

function row(out: string, id: string): string[] {
  const line = out.split('\n').find((l) => l.split(/\s+/)[0] === id);
  if (!line) throw new Error(`no row for ${id} in:\n${out}`);
  return line.trim().split(/\s{2,}/);
}

describe('llmpass providers', () => {
  it('shows route, default base, auth and key variable of each provider, and whether the key is set', async () => {
    const dir = tempConfig(CONFIG);
    const result = await runCli({ args: ['providers'], cwd: dir, env: baseEnv({ OPENAI_API_KEY: OPENAI_KEY, VLLM_API_KEY: 'vllm-secret-value-77' }) });
    const out = result.stdout.toString('utf8');
    expect(result.code, result.stderr).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^ID\s+ALIASES\s+ROUTE\s+DEFAULT BASE\s+AUTH\s+KEY VARIABLE\s+SET$/);
    expect(row(out, 'openai')).toEqual(['openai', '–', '/openai', 'https://api.openai.com/v1', 'bearer', 'OPENAI_API_KEY', '✓']);
    expect(row(out, 'anthropic')).toEqual(['anthropic', '–', '/anthropic', 'https://api.anthropic.com', 'x-api-key', 'ANTHROPIC_API_KEY', '–']);
    // The variable that is set is the one shown.
    expect(row(out, 'hosted_vllm')).toEqual(['hosted_vllm', 'vllm', '/vllm', '(none: set api_base)', 'bearer', 'VLLM_API_KEY (+1)', '✓']);
    expect(row(out, 'gemini')).toEqual(['gemini', '–', '/gemini', 'https://generativelanguage.googleapis.com', 'x-goog-api-key', 'GEMINI_API_KEY (+1)', '–']);
    expect(row(out, 'acme')).toEqual(['acme (config)', '–', '/acme', 'https://llm.acme.example/v1', 'x-acme-key', 'ACME_KEY', '✓']);
    for (const secret of [OPENAI_KEY, ACME_KEY, 'vllm-secret-value-77']) expect(`${out}${result.stderr}`).not.toContain(secret);
  });

  it('--json gives every key variable and the one that is set, never a value', async () => {
    const dir = tempConfig(CONFIG);
    const result = await runCli({ args: ['providers', '--json'], cwd: dir, env: baseEnv({ OPENAI_API_KEY: OPENAI_KEY }) });
    expect(result.code, result.stderr).toBe(0);
    const text = result.stdout.toString('utf8');
    const providers = JSON.parse(text) as Array<Record<string, unknown>>;
    const byId = new Map(providers.map((p) => [p.id, p]));
    expect(byId.get('openai')).toMatchObject({ auth: 'bearer', keyVariables: ['OPENAI_API_KEY'], keySet: true, keyVariableSet: 'OPENAI_API_KEY', source: 'built-in' });
    expect(byId.get('together_ai')).toMatchObject({
      aliases: ['together'],
      routePrefix: '/together_ai',
      keyVariables: ['TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHERAI_API_KEY', 'TOGETHER_AI_TOKEN'],
      keySet: false,
      keyVariableSet: null,
    });
    expect(byId.get('azure')).toMatchObject({ auth: 'api-key', defaultApiBase: null, keyRequired: true });
    expect(byId.get('acme')).toMatchObject({ label: 'ACME inference', auth: 'x-acme-key', keySet: true, source: 'config' });
    expect(providers.length).toBeGreaterThanOrEqual(17);
    expect(text).not.toContain(OPENAI_KEY);
    expect(text).not.toContain(ACME_KEY);
  });
});
