// With no OTEL_* variable and no `callbacks: ["otel"]`, nothing of OpenTelemetry is loaded: the bench's module
// probe (bench/child/module-probe.mjs) lists every package a process resolved or ran bundled, for `call` and the
// proxy. With tracing on, the same probe does see the SDK: its "no" means something.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiLike, startFakeUpstream, type FakeServer } from '../fixtures/fake-upstream.ts';
import { baseEnv, call } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';
import { postJson, startProxyCli, stopAllProxies } from '../support/proxy.ts';

const PROBE = fileURLToPath(new URL('../../bench/child/module-probe.mjs', import.meta.url));
const PAYLOAD = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] });

let openai: FakeServer;
let config: string;

beforeAll(async () => {
  openai = await startFakeUpstream(openAiLike());
  config = `model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openai.url}/v1
      api_key: sk-otel-off-canary
`;
});

afterAll(async () => {
  await stopAllProxies();
  await openai?.close();
  cleanupTemp();
});

interface ProbeReport {
  files: string[];
  packages: string[];
  bundled: string[];
}

/** The probe preloaded through NODE_OPTIONS: it follows the proxy through its in-place restart. */
function probeEnv(extra: Record<string, string> = {}): { env: Record<string, string>; report: () => ProbeReport } {
  const out = join(mkdtempSync(join(tmpdir(), 'llmpass-otel-probe-')), 'report.json');
  return { env: { NODE_OPTIONS: `--import=${PROBE}`, BENCH_PROBE_OUT: out, ...extra }, report: () => JSON.parse(readFileSync(out, 'utf8')) as ProbeReport };
}

const otelLoaded = (report: ProbeReport) =>
  [...report.packages, ...report.bundled].some((name) => name.startsWith('@opentelemetry/')) || report.files.some((file) => /[\\/]telemetry[\\/]otel|chunks[\\/]otel-/.test(file));

describe('telemetry off loads nothing of OpenTelemetry', () => {
  it('llmpass call', async () => {
    const dir = tempConfig(config);
    const off = probeEnv();
    const result = await call(dir, ['gpt', 'chat/completions', '--json', PAYLOAD], { env: baseEnv(off.env) });
    expect(result.code, result.stderr).toBe(0);
    expect(otelLoaded(off.report())).toBe(false);
    // The probe sees bundled packages at all: the config's YAML parser (a call no longer loads @oclif/core).
    expect(off.report().bundled).toContain('js-yaml');

    // On (pointed at nothing), the same probe sees the SDK.
    const on = probeEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    const traced = await call(dir, ['gpt', 'chat/completions', '--json', PAYLOAD], { env: baseEnv(on.env) });
    expect(traced.code, traced.stderr).toBe(0);
    expect(otelLoaded(on.report())).toBe(true);
  });

  it('llmpass proxy serving a request', async () => {
    const off = probeEnv();
    const proxy = await startProxyCli({ config, env: off.env });
    expect((await postJson(`${proxy.url}/openai/v1/chat/completions`, { model: 'gpt', messages: [] }, undefined)).status).toBe(200);
    await proxy.stop('SIGTERM');
    expect(otelLoaded(off.report())).toBe(false);
  });
});
