import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVllmServer } from '../fixtures/vllm-server.ts';
import type { FakeServer } from '../fixtures/recording.ts';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
// Asynchronous on purpose: the fake upstream lives in this process and must keep answering.
const npm = async (args: string[], cwd: string) =>
  (await run('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } })).stdout;
const node = async (args: string[], cwd: string) => {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd, encoding: 'utf8' });
    return { stdout, stderr, status: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', status: failed.code ?? 1 };
  }
};

// The package as users get it: `npm pack`, installed into a fresh project, used from plain .mjs and from TypeScript.
describe('the packed library', () => {
  let dir: string;
  let server: FakeServer;

  beforeAll(async () => {
    server = await startVllmServer({ port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'llmpass-consumer-'));
    const tarball = (await npm(['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], root)).trim().split('\n').pop()!;
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await npm(['install', '--prefer-offline', '--no-package-lock', join(dir, tarball), 'typescript@6.0.3', '@types/node@24'], dir);
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the seed passthrough from a plain .mjs file without loading oclif, chalk or ora', { timeout: 60_000 }, async () => {
    await writeFile(
      join(dir, 'seed.mjs'),
      `import { passthrough, Router, UnknownModelError } from 'llmpass';
const res = await passthrough({ model: 'hosted_vllm/papluca/xlm-roberta-base-language-detection', method: 'POST', endpoint: 'classify', apiBase: process.argv[2], json: { input: 'Hello, world!' } });
const body = await res.json();
const router = new Router({ modelList: [{ model_name: 'lang', litellm_params: { model: 'hosted_vllm/papluca/xlm-roberta-base-language-detection', api_base: process.argv[2] } }] });
const second = await (await router.passthrough({ model: 'lang', endpoint: 'classify', json: { input: 'Bonjour tout le monde' } })).json();
let code; try { await router.passthrough({ model: 'nope', endpoint: 'classify' }); } catch (e) { code = e instanceof UnknownModelError && e.code; }
const loaded = Object.keys(await import('node:module').then((m) => m.default._cache ?? {})).filter((p) => /@oclif|chalk|\\/ora\\//.test(p));
console.log(JSON.stringify({ status: res.status, label: body.data[0].label, second: second.data[0].label, code, loaded }));
`,
    );
    const seed = await node(['seed.mjs', server.url], dir);
    expect(seed.stderr).toBe('');
    expect(JSON.parse(seed.stdout)).toEqual({ status: 200, label: 'en', second: 'fr', code: 'LLMPASS_UNKNOWN_MODEL', loaded: [] });
  });

  it.each(['node16', 'bundler'])('type-checks from TypeScript with moduleResolution %s', { timeout: 120_000 }, async (resolution) => {
    await writeFile(
      join(dir, 'use.ts'),
      `import { passthrough, Router, type RouterEvent, type ProviderSpec, registerProvider, LlmpassError } from 'llmpass';
const res: Response = await passthrough({ model: 'openai/gpt-4o', endpoint: 'chat/completions', json: { messages: [] } });
const router: Router = new Router({ modelList: [] });
const onEvent = (event: RouterEvent): string => event.type;
const spec: ProviderSpec | undefined = undefined;
if (spec) registerProvider(spec);
export const ok: [number, Router, typeof onEvent, string] = [res.status, router, onEvent, new LlmpassError('x').code];
`,
    );
    const module = resolution === 'node16' ? 'node16' : 'esnext';
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2023', module, moduleResolution: resolution, lib: ['es2023', 'dom'], types: ['node'], skipLibCheck: false } }),
    );
    const tsc = await node([join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
