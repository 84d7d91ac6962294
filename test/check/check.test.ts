// The smoke check as a library call: checkDeployments() over a config, against real loopback servers.
import { afterEach, describe, expect, it } from 'vitest';
import { checkDeployments, type CheckResult, type PlannedCheck } from '../../src/check/check.ts';
import { probeDeployment } from '../../src/check/probe.ts';
import { configFromObject } from '../../src/config/load.ts';
import { AbortedError } from '../../src/errors.ts';
import { resolveEntries } from '../../src/router/inventory.ts';
import { hang, startFakeUpstream, type FakeHandler, type FakeServer } from '../fixtures/fake-upstream.ts';
import { sendJson } from '../fixtures/respond.ts';

const servers: FakeServer[] = [];
async function upstream(handler: FakeHandler): Promise<FakeServer> {
  const server = await startFakeUpstream(handler);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const config = (entries: Array<[alias: string, model: string, params?: Record<string, unknown>]>) =>
  configFromObject({ model_list: entries.map(([alias, model, params]) => ({ model_name: alias, litellm_params: { model, ...params } })) }, undefined, {});

/** Answers model-list paths with `ids` in the shape each provider uses, and anything else with 200. */
function lists(ids: string[]): FakeHandler {
  return (req, res) => {
    if (req.path === '/api/tags') sendJson(res, 200, { models: ids.map((name) => ({ name })) });
    else if (req.path.endsWith('/models')) sendJson(res, 200, { object: 'list', data: ids.map((id) => ({ id })) });
    else sendJson(res, 200, {});
  };
}

describe('checkDeployments', () => {
  it('probes no more deployments at once than the concurrency allows, and reports in config order', async () => {
    let active = 0;
    let most = 0;
    const server = await upstream((req, res) => {
      active++;
      most = Math.max(most, active);
      setTimeout(() => {
        active--;
        if (req.path === '/v1/models') sendJson(res, 200, { object: 'list', data: [{ id: 'm' }] });
        else res.end();
      }, 30);
    });
    const planned: PlannedCheck[][] = [];
    const finished: CheckResult[] = [];
    const report = await checkDeployments(config(Array.from({ length: 6 }, (_, i) => [`a${i}`, 'hosted_vllm/m', { api_base: server.url }])), {
      concurrency: 2,
      onPlan: (rows) => planned.push(rows),
      onResult: (result) => finished.push(result),
    });
    expect(most).toBe(2);
    expect(report).toMatchObject({ ok: true, passed: 6, failed: 0, skipped: 0 });
    expect(report.results.map((r) => r.id)).toEqual(['a0#0', 'a1#1', 'a2#2', 'a3#3', 'a4#4', 'a5#5']);
    expect(planned).toHaveLength(1);
    expect(planned[0]!.map((p) => [p.alias, p.provider, p.model, p.apiBase])).toEqual(Array.from({ length: 6 }, (_, i) => [`a${i}`, 'hosted_vllm', 'm', server.url]));
    expect(finished).toHaveLength(6);
  });

  it('applies each provider\'s own rule for whether the list names the model', async () => {
    const ollama = await upstream(lists(['llama3.2:latest', 'qwen2.5:7b']));
    const azure = await upstream(lists(['gpt-4o-2024-08-06']));
    const report = await checkDeployments(
      config([
        ['tagged', 'ollama/llama3.2', { api_base: ollama.url }],
        ['exact', 'ollama/qwen2.5:7b', { api_base: ollama.url }],
        ['absent', 'ollama/mistral', { api_base: ollama.url }],
        ['azure', 'azure/my-deployment', { api_base: azure.url, api_key: 'k' }],
      ]),
    );
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['tagged#0', 'pass'],
      ['exact#1', 'pass'],
      ['absent#2', 'fail'],
      ['azure#3', 'pass'],
    ]);
    expect(report.results[2]!.reason).toBe('serves "llama3.2:latest", "qwen2.5:7b", not "mistral" (GET /api/tags)');
    expect(report.results[3]!.reason).toContain('cannot confirm "my-deployment"');
    expect(azure.requests[0]!.url).toBe('/openai/models?api-version=2024-10-21');
    expect(azure.requests[0]!.headers['api-key']).toBe('k');
  });

  it('skips a provider that has no probe, and fails an entry it cannot resolve without sending anything', async () => {
    const report = await checkDeployments(
      config([
        ['sonar', 'perplexity/sonar', { api_key: 'pplx-key' }],
        ['nokey', 'anthropic/claude-3-5-haiku-latest'],
      ]),
    );
    expect(report).toMatchObject({ ok: false, passed: 0, failed: 1, skipped: 1 });
    expect(report.results[0]).toMatchObject({ status: 'skip', reason: 'perplexity has no health or model-list probe; check it with --endpoint and --data' });
    expect(report.results[1]).toMatchObject({ status: 'fail', latencyMs: null, provider: 'anthropic', model: 'claude-3-5-haiku-latest' });
    expect(report.results[1]!.reason).toMatch(/^needs an api key: set ANTHROPIC_API_KEY/);
  });

  it('stops at once when the caller aborts, rather than reporting a failure', async () => {
    const server = await upstream(hang());
    const [entry] = resolveEntries(config([['h', 'hosted_vllm/m', { api_base: server.url }]]));
    if (!entry?.ok) throw new Error('expected a resolved entry');
    const controller = new AbortController();
    const probe = probeDeployment(entry.deployment, { timeout: 10, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    await expect(probe).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
