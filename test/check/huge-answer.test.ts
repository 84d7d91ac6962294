// `models --check` against an upstream whose model list never ends: the probe reads a bounded amount, fails that
// deployment with a clear reason, and the run goes on (the other deployments' results and the JUnit report).
// Once a 540 MB list took a run to 1.7 GB, and past V8's string limit the whole run died with no report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { MAX_PROBE_ANSWER_BYTES } from '../../src/check/probe.ts';
import { flood, type FloodProgress } from '../fixtures/faults.ts';
import { startFakeUpstream, type FakeServer } from '../fixtures/fake-upstream.ts';
import { sendJson } from '../fixtures/respond.ts';
import { assertBuilt, baseEnv, runCli } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';
import { vllmEntry } from '../support/upstreams.ts';

const servers: FakeServer[] = [];
beforeAll(assertBuilt);
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(cleanupTemp);

it('a model list far over the bound fails that deployment only, "answer too large", and the report is written', async () => {
  const total = 1024 * 1024 * 1024;
  const progress: FloodProgress = { written: 0, done: false };
  const endless = flood(total, progress);
  const huge = await startFakeUpstream((req, res) => (req.path === '/v1/models' ? endless(req, res) : sendJson(res, 200, {})));
  const good = await startFakeUpstream((req, res) => sendJson(res, 200, req.path === '/v1/models' ? { object: 'list', data: [{ id: 'good-upstream' }] } : {}));
  servers.push(huge, good);
  const dir = tempConfig(JSON.stringify({ model_list: [vllmEntry('huge', huge.url), vllmEntry('good', good.url)] }));

  const result = await runCli({ args: ['models', '--check', '--timeout', '30', '--junit', 'report.xml'], cwd: dir, env: baseEnv(), timeoutMs: 60_000 });
  const out = result.stdout.toString('utf8');

  expect(result.code, `${out}${result.stderr}`).toBe(1);
  const limit = `${MAX_PROBE_ANSWER_BYTES / 1024 / 1024} MB`;
  expect(out).toMatch(new RegExp(`^FAIL\\s+huge#0 .*GET /v1/models: 200 but the answer is too large \\(over ${limit}\\)`, 'm'));
  expect(out).toMatch(/^PASS\s+good#1 /m);
  // The probe stopped reading: the upstream got nowhere near the end of its answer.
  expect(progress.written).toBeLessThan(total / 4);

  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(dir, 'report.xml'), 'utf8')).testsuites.testsuite;
  expect([suite.tests, suite.failures]).toEqual(['2', '1']);
  expect(suite.testcase[0].failure.message).toContain(`too large (over ${limit})`);
});
