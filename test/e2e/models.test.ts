// `llmpass models` and `models --check` as CI runs them: the built CLI spawned in a directory holding
// llmpass.config.yaml, a minimal environment with CI=1, real loopback servers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hang, openAiLike, startFakeUpstream, status, type FakeHandler, type FakeServer } from '../fixtures/fake-upstream.ts';
import { startVllmServer, type VllmServerOptions } from '../fixtures/vllm-server.ts';
import { assertBuilt, baseEnv, deadPort, runCli, type CliResult } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';
import { expectNoSecret } from '../support/secrets.ts';

const SERVED = 'papluca/xlm-roberta-base-language-detection';
const VLLM_KEY = 'vllm-secret-key-0123456789';
const OPENAI_KEY = 'sk-openai-secret-abcdefghij';
const LITERAL_KEY = 'sk-literal-in-config-987654';

const servers: FakeServer[] = [];
async function vllm(options: VllmServerOptions = {}): Promise<FakeServer> {
  const server = await startVllmServer({ servedModel: SERVED, ...options });
  servers.push(server);
  return server;
}
async function fake(handler: FakeHandler): Promise<FakeServer> {
  const server = await startFakeUpstream(handler);
  servers.push(server);
  return server;
}

beforeAll(assertBuilt);
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(cleanupTemp);

function entry(alias: string, model: string, params: Record<string, string> = {}): string {
  const extra = Object.entries(params).map(([key, value]) => `\n      ${key}: ${value}`).join('');
  return `  - model_name: ${alias}\n    litellm_params:\n      model: ${model}${extra}\n`;
}

function models(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli({ args: ['models', ...args], cwd, env: baseEnv(env), timeoutMs: 15_000 });
}

function expectNoSecrets(result: CliResult, ...extra: string[]): void {
  expectNoSecret(`${result.stdout.toString('utf8')}\n${result.stderr}`, [VLLM_KEY, OPENAI_KEY, LITERAL_KEY, ...extra], 'the output of llmpass models');
}

/** The line whose first or second word is `word` (a table row's alias, a check line's deployment id). */
function lineFor(stdout: string, word: string): string {
  const line = stdout.split('\n').find((l) => l.split(/\s+/).slice(0, 2).includes(word));
  if (!line) throw new Error(`no line for ${word} in:\n${stdout}`);
  return line;
}

describe('llmpass models', () => {
  it('lists every alias with provider, upstream model, base and deployments, and says why some cannot be called', async () => {
    const dir = tempConfig(
      `model_list:\n${[
        entry('lang', `hosted_vllm/${SERVED}`, { api_base: 'http://127.0.0.1:8090/v1', api_key: 'os.environ/VLLM_KEY' }),
        entry('lang', `hosted_vllm/${SERVED}`, { api_base: 'http://127.0.0.1:8091' }),
        entry('gpt', 'openai/gpt-4o-mini', { api_key: LITERAL_KEY }),
        entry('mystery', 'acme/thing'),
        entry('bare', 'my-model'),
        entry('needs-env', 'hosted_vllm/x', { api_base: 'os.environ/SOME_VLLM_BASE' }),
        entry('claude', 'anthropic/claude-3-5-haiku-latest'),
      ].join('')}`,
    );
    const result = await models(dir, [], { VLLM_KEY });
    const out = result.stdout.toString('utf8');
    expect(result.code, result.stderr).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^ALIAS\s+PROVIDER\s+UPSTREAM MODEL\s+API BASE\s+DEPLOYMENTS\s+USABLE\s+REASON$/);
    expect(lineFor(out, 'lang')).toMatch(
      /^lang\s+hosted_vllm\s+papluca\/xlm-roberta-base-language-detection\s+http:\/\/127\.0\.0\.1:8090\/v1, http:\/\/127\.0\.0\.1:8091\s+2\s+✓/,
    );
    expect(out).toMatch(/gpt\s+openai\s+gpt-4o-mini\s+https:\/\/api\.openai\.com\/v1\s+1\s+✓/);
    expect(out).toMatch(/mystery .*✗\s+provider "acme" is not supported/);
    expect(out).toMatch(/bare .*✗\s+cannot tell the provider of "my-model"/);
    expect(out).toMatch(/needs-env .*✗\s+environment variable SOME_VLLM_BASE is not set/);
    expect(out).toMatch(/claude .*✗\s+needs an api key: set ANTHROPIC_API_KEY/);
    expectNoSecrets(result, VLLM_KEY);

    const json = await models(dir, ['--json'], { VLLM_KEY });
    expect(json.code).toBe(0);
    const aliases = JSON.parse(json.stdout.toString('utf8')) as Array<{ alias: string; usable: boolean; deployments: Array<{ provider: string | null; usable: boolean; reason: string | null }> }>;
    expect(aliases.map((a) => [a.alias, a.usable, a.deployments.length])).toEqual([
      ['lang', true, 2],
      ['gpt', true, 1],
      ['mystery', false, 1],
      ['bare', false, 1],
      ['needs-env', false, 1],
      ['claude', false, 1],
    ]);
    expect(aliases[2]!.deployments[0]!.reason).toContain('provider "acme" is not supported');
    expectNoSecrets(json, VLLM_KEY);
  });

  it('--check passes against a live vLLM serving the model, sending the key as vLLM wants it', async () => {
    const server = await vllm({ apiKey: VLLM_KEY });
    const dir = tempConfig(`model_list:\n${entry('lang', `hosted_vllm/${SERVED}`, { api_base: `${server.url}/v1`, api_key: 'os.environ/VLLM_KEY' })}`);
    const result = await models(dir, ['--check'], { VLLM_KEY });
    const out = result.stdout.toString('utf8');
    expect(result.code, `${out}${result.stderr}`).toBe(0);
    expect(out).toContain(`PASS lang#0 ${server.url}/v1 (`);
    expect(out).toContain(`serves "${SERVED}"`);
    expect(out).toMatch(/^1 deployment checked: 1 passed, 0 failed$/m);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /health', 'GET /v1/models']);
    expect(server.requests[1]!.headers.authorization).toBe(`Bearer ${VLLM_KEY}`);
    expectNoSecrets(result);
  });

  it('--check --junit into a directory that does not exist is refused before any deployment is checked (exit 2)', async () => {
    const server = await vllm();
    const dir = tempConfig(`model_list:\n${entry('lang', `hosted_vllm/${SERVED}`, { api_base: server.url })}`);
    const result = await models(dir, ['--check', '--junit', 'no/such/dir/report.xml']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe('llmpass: --junit no/such/dir/report.xml: cannot write (ENOENT)\n');
    expect(server.requests).toEqual([]);
  });

  it('--check fails a dead port, a server serving another model, a hanging server and an unusable alias, within the timeout, and writes JUnit', async () => {
    const good = await vllm();
    const other = await vllm({ servedModel: 'some/other-model' });
    const hanging = await fake(hang());
    const dead = await deadPort();
    const dir = tempConfig(
      `model_list:\n${[
        entry('good', `hosted_vllm/${SERVED}`, { api_base: good.url }),
        entry('dead', `hosted_vllm/${SERVED}`, { api_base: `http://127.0.0.1:${dead}` }),
        entry('wrong', `hosted_vllm/${SERVED}`, { api_base: other.url }),
        entry('hanging', `hosted_vllm/${SERVED}`, { api_base: hanging.url }),
        entry('gpt', 'openai/gpt-4o-mini', { api_key: 'os.environ/MISSING_OPENAI_KEY' }),
      ].join('')}`,
    );
    const timeout = 1;
    const started = performance.now();
    const result = await models(dir, ['--check', '--timeout', String(timeout), '--junit', 'report.xml']);
    const elapsed = (performance.now() - started) / 1000;
    const out = result.stdout.toString('utf8');

    expect(result.code, `${out}${result.stderr}`).toBe(1);
    expect(elapsed).toBeLessThan(timeout + 2.5);
    expect(lineFor(out, 'good#0')).toMatch(/^PASS /);
    expect(lineFor(out, 'dead#1')).toMatch(/^FAIL .*connection refused/);
    expect(lineFor(out, 'wrong#2')).toMatch(new RegExp(`^FAIL .*serves "some/other-model", not "${SERVED}"`));
    expect(lineFor(out, 'hanging#3')).toMatch(/^FAIL .*no answer within 1s \(GET \/health\)/);
    expect(lineFor(out, 'gpt#4')).toMatch(/^FAIL .*environment variable MISSING_OPENAI_KEY is not set/);
    expect(out).toMatch(/^5 deployments checked: 1 passed, 4 failed$/m);

    const xml = readFileSync(join(dir, 'report.xml'), 'utf8');
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const suite = parsed.testsuites.testsuite;
    expect(suite.tests).toBe('5');
    expect(suite.failures).toBe('4');
    const cases = suite.testcase as Array<{ classname: string; name: string; time: string; failure?: { message: string } }>;
    expect(cases.map((c) => c.classname)).toEqual(['good', 'dead', 'wrong', 'hanging', 'gpt']);
    expect(cases[0]!.failure).toBeUndefined();
    expect(cases[0]!.name).toContain(`good#0 hosted_vllm/${SERVED} @ ${good.url}`);
    expect(cases[1]!.failure!.message).toContain('connection refused');
    expect(cases[2]!.failure!.message).toContain('serves "some/other-model"');
    expect(cases[3]!.failure!.message).toContain('no answer within 1s');
    expect(Number(cases[3]!.time)).toBeGreaterThanOrEqual(0.9);
    expect(cases[4]!.failure!.message).toContain('MISSING_OPENAI_KEY');
  });

  it('--check --json reports each deployment with its status, served models and reason', async () => {
    const openai = await fake(openAiLike({ apiKey: OPENAI_KEY }));
    const down = await fake(status(503, 'warming up'));
    const dir = tempConfig(
      `model_list:\n${[
        entry('chat', 'openai/gpt-4o-mini', { api_base: `${openai.url}/v1`, api_key: 'os.environ/OPENAI_API_KEY' }),
        entry('chat', 'openai/gpt-5-nano', { api_base: `${openai.url}/v1`, api_key: 'os.environ/OPENAI_API_KEY' }),
        entry('lang', `hosted_vllm/${SERVED}`, { api_base: down.url }),
      ].join('')}`,
    );
    const result = await models(dir, ['--check', '--json'], { OPENAI_API_KEY: OPENAI_KEY });
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout.toString('utf8')) as {
      ok: boolean; passed: number; failed: number;
      results: Array<{ id: string; status: string; reason: string; httpStatus: number | null; servedModels: string[] | null; latencyMs: number }>;
    };
    expect([report.ok, report.passed, report.failed]).toEqual([false, 1, 2]);
    const [mini, nano, lang] = report.results;
    expect(mini).toMatchObject({ id: 'chat#0', status: 'pass', httpStatus: 200, servedModels: ['gpt-4o-mini', 'text-embedding-3-small'] });
    expect(nano).toMatchObject({ id: 'chat#1', status: 'fail' });
    expect(nano!.reason).toContain('serves "gpt-4o-mini", "text-embedding-3-small", not "gpt-5-nano"');
    expect(lang).toMatchObject({ id: 'lang#2', status: 'fail', httpStatus: 503 });
    expect(lang!.reason).toBe('GET /health: 503 Service Unavailable - warming up');
    expect(openai.requests.every((r) => r.headers.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
    expectNoSecrets(result);
  });

  it('--endpoint and --data make the check a real call: a 2xx passes, anything else fails', async () => {
    const server = await vllm();
    const dir = tempConfig(`model_list:\n${entry('lang', `hosted_vllm/${SERVED}`, { api_base: server.url })}`);
    const pass = await models(dir, ['--check', '--endpoint', 'classify', '--data', '{"model":"lang","input":["Bonjour tout le monde"]}']);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout.toString('utf8')).toMatch(/^PASS lang#0 .*POST \/classify: 200$/m);
    expect(server.requests.at(-1)!.json).toMatchObject({ model: SERVED });

    const fail = await models(dir, ['--check', '--endpoint', 'no-such-route']);
    expect(fail.code).toBe(1);
    expect(fail.stdout.toString('utf8')).toMatch(/^FAIL lang#0 .*GET \/no-such-route: 404 Not Found/m);
  });

  it('an empty config file is found and said to list no models, not taken for no config at all', async () => {
    const result = await models(tempConfig(''), []);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('no aliases: llmpass.config.yaml lists no models (model_list)\n');
  });

  it('exits 2 on usage and config mistakes', async () => {
    const empty = tempConfig('model_list: []\n');
    const nothing = await models(empty, ['--check']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to check: llmpass\.config\.yaml lists no models/);

    const bad = await models(empty, ['--check', '--timeout', 'soon']);
    expect([bad.code, bad.stderr]).toEqual([2, 'llmpass: --timeout "soon": expected a positive number of seconds\n']);

    // models has no --header: its --data is JSON, and the error offers no way it does not have
    const notJson = await models(empty, ['--check', '--endpoint', 'classify', '--data', 'notjson']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^llmpass: --data is not valid JSON \([^)]*\)\n$/);

    const orphan = await models(empty, ['--endpoint', 'classify']);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain('--check');
  });

  it('draws the table on a terminal, marks and all', async () => {
    const server = await vllm();
    const dir = tempConfig(`model_list:\n${entry('lang', `hosted_vllm/${SERVED}`, { api_base: server.url })}${entry('ghost', 'hosted_vllm/x', { api_base: `http://127.0.0.1:${await deadPort()}` })}`);
    const result = await runCli({ args: ['models', '--check'], cwd: dir, env: baseEnv({ CI: undefined, TERM: 'xterm' }), tty: true, columns: 160, timeoutMs: 15_000 });
    const screen = result.stdout.toString('utf8');
    expect(result.code).toBe(1);
    expect(screen).toMatch(/ALIAS\s+DEPLOYMENT\s+STATUS\s+LATENCY\s+REASON/);
    expect(screen).toMatch(new RegExp(`lang\\s+#0 ${server.url}\\s+(\\S+)?✓`));
    expect(screen).toMatch(/ghost\s+#1 http:\/\/127\.0\.0\.1:\d+\s+(\S+)?✗/);
    expect(screen).toMatch(/2 deployments checked: 1 passed, 1 failed/);

    // A pty nobody sized reports 0 columns: no live drawing then (ora would count its lines as Infinity).
    const unsized = await runCli({ args: ['models', '--check'], cwd: dir, env: baseEnv({ CI: undefined, TERM: 'xterm' }), tty: true, columns: 0, timeoutMs: 8_000 });
    expect([unsized.code, unsized.timedOut]).toEqual([1, false]);
    expect(unsized.stdout.length).toBeLessThan(20_000);
    expect(unsized.stdout.toString('utf8')).toMatch(/2 deployments checked: 1 passed, 1 failed/);
  });
});
