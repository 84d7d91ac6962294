// `llmpass call provider/model ENDPOINT --dry-run` reaches the same upstream URL whichever way the endpoint is
// spelled: from the provider's base (OpenAI's SDK), or with the base's own path again, as the provider's own SDK
// joins it to its host (groq-sdk posts `openai/v1/chat/completions` to `https://api.groq.com`).
// Every spelling goes through what the command runs for --dry-run (Router.prepare, then describeRequest) in this
// process; the built CLI prints one of each table end to end, so the two cannot drift apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRequest } from '../../src/cli/call/describe-request.ts';
import { configFromObject } from '../../src/config/load.ts';
import { Router } from '../../src/router/router.ts';
import { assertBuilt, baseEnv, runCli } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

beforeAll(assertBuilt);
afterAll(cleanupTemp);

/** What `llmpass call MODEL ENDPOINT --dry-run --json BODY` prints, computed as the command computes it. */
function dryRun(modelList: unknown[], env: NodeJS.ProcessEnv, model: string, endpoint: string, body: string): string {
  const router = new Router({ config: configFromObject({ model_list: modelList }, undefined, env) });
  return describeRequest(router.prepare({ model, endpoint, method: 'POST', json: JSON.parse(body) }));
}

/** The built CLI's --dry-run print, and its exit. */
async function dryRunCli(dir: string, env: NodeJS.ProcessEnv, model: string, endpoint: string, body: string): Promise<string> {
  const result = await runCli({ args: ['call', model, endpoint, '--dry-run', '--json', body], cwd: dir, env });
  expect(result.code, result.stderr).toBe(0);
  return String(result.stdout).trimEnd();
}

/** [model, endpoint as an SDK writes it, the URL it must reach]. */
const SPELLINGS: ReadonlyArray<readonly [string, string, string]> = [
  ['groq/llama-3.1-8b-instant', 'openai/v1/chat/completions', 'https://api.groq.com/openai/v1/chat/completions'],
  ['groq/llama-3.1-8b-instant', 'v1/chat/completions', 'https://api.groq.com/openai/v1/chat/completions'],
  ['fireworks_ai/accounts/fireworks/models/x', 'inference/v1/chat/completions', 'https://api.fireworks.ai/inference/v1/chat/completions'],
  ['openrouter/openai/gpt-4o', 'api/v1/chat/completions', 'https://openrouter.ai/api/v1/chat/completions'],
  ['deepinfra/meta-llama/x', 'v1/openai/embeddings', 'https://api.deepinfra.com/v1/openai/embeddings'],
  ['mistral/mistral-small-latest', 'v1/chat/completions', 'https://api.mistral.ai/v1/chat/completions'],
  ['cohere/command-r', 'v1/chat', 'https://api.cohere.com/v1/chat'],
  ['cohere/command-r', 'v2/chat', 'https://api.cohere.com/v2/chat'],
  ['cohere/embed-v4.0', 'v2/embed', 'https://api.cohere.com/v2/embed'],
  ['together_ai/meta-llama/x', 'chat/completions', 'https://api.together.xyz/v1/chat/completions'],
  ['together_ai/meta-llama/x', 'v1/chat/completions', 'https://api.together.xyz/v1/chat/completions'],
  ['fireworks_ai/accounts/fireworks/models/x', 'v1/chat/completions', 'https://api.fireworks.ai/inference/v1/chat/completions'],
  ['deepinfra/meta-llama/x', 'chat/completions', 'https://api.deepinfra.com/v1/openai/chat/completions'],
  ['openrouter/openai/gpt-4o', 'v1/chat/completions', 'https://openrouter.ai/api/v1/chat/completions'],
  ['perplexity/sonar', 'chat/completions', 'https://api.perplexity.ai/chat/completions'],
  ['xai/grok-3', 'chat/completions', 'https://api.x.ai/v1/chat/completions'],
  ['xai/grok-3', 'v1/chat/completions', 'https://api.x.ai/v1/chat/completions'],
  ['mistral/mistral-small-latest', 'chat/completions', 'https://api.mistral.ai/v1/chat/completions'],
  ['deepseek/deepseek-chat', 'chat/completions', 'https://api.deepseek.com/chat/completions'],
  // The ollama client's native API, and OpenAI's SDK at `<host>/v1`.
  ['ollama/llama3.2', 'api/chat', 'http://localhost:11434/api/chat'],
  ['ollama/llama3.2', 'api/embed', 'http://localhost:11434/api/embed'],
  ['ollama/llama3.2', 'v1/chat/completions', 'http://localhost:11434/v1/chat/completions'],
];

describe('call --dry-run: each provider SDK\'s endpoint spellings reach the provider\'s real path', () => {
  const env = baseEnv({ GROQ_API_KEY: 'k', FIREWORKS_API_KEY: 'k', OPENROUTER_API_KEY: 'k', DEEPINFRA_API_KEY: 'k', MISTRAL_API_KEY: 'k', COHERE_API_KEY: 'k', TOGETHER_API_KEY: 'k', PERPLEXITYAI_API_KEY: 'k', XAI_API_KEY: 'k', DEEPSEEK_API_KEY: 'k' });
  for (const [model, endpoint, url] of SPELLINGS) {
    it(`${model} ${endpoint} → ${url}`, () => {
      expect(dryRun([], env, model, endpoint, '{}').split('\n')[0]).toBe(`POST ${url}`);
    });
  }

  it('the built CLI prints the same', async () => {
    const [model, endpoint, url] = SPELLINGS[0]!;
    const printed = await dryRunCli(tempConfig('model_list: []\n'), env, model, endpoint, '{}');
    expect(printed.split('\n')[0]).toBe(`POST ${url}`);
    expect(printed).toBe(dryRun([], env, model, endpoint, '{}'));
  });
});

describe('call --dry-run: an alias in the endpoint\'s path or in the body\'s copies of the model, as @google/genai writes them', () => {
  const yaml = 'model_list:\n  - model_name: team-embed\n    litellm_params: { model: gemini/text-embedding-004, api_key: os.environ/GEMINI_API_KEY }\n';
  const modelList = [{ model_name: 'team-embed', litellm_params: { model: 'gemini/text-embedding-004', api_key: 'os.environ/GEMINI_API_KEY' } }];
  const env = baseEnv({ GEMINI_API_KEY: 'k' });
  const body = JSON.stringify({ requests: [{ model: 'models/team-embed', content: { parts: [{ text: 'hi' }] } }] });
  const ENDPOINTS = ['v1beta/models/team-embed:batchEmbedContents', 'batchEmbedContents'];
  for (const endpoint of ENDPOINTS) {
    it(`team-embed ${endpoint}: the upstream model in the path and in requests[].model`, () => {
      const out = dryRun(modelList, env, 'team-embed', endpoint, body);
      expect(out.split('\n')[0]).toBe('POST https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:batchEmbedContents');
      expect(out).toContain('"model":"models/text-embedding-004"');
      expect(out).not.toContain('team-embed');
    });
  }

  it('the built CLI prints the same, from the config file', async () => {
    const printed = await dryRunCli(tempConfig(yaml), env, 'team-embed', ENDPOINTS[1]!, body);
    expect(printed).toContain('"model":"models/text-embedding-004"');
    expect(printed).toBe(dryRun(modelList, env, 'team-embed', ENDPOINTS[1]!, body));
  });
});
