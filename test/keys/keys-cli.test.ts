// `llmpass keys` through the built CLI: a key made on the local store works on a proxy using that store, list and
// info never show it, and `--proxy` revokes it through the running proxy's API.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { baseEnv, runCli } from '../support/cli.ts';
import { startKeyedProxy } from '../support/keyed-proxy.ts';
import { postJson, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { expectProxyError } from '../support/proxy-error.ts';
import { expectNoSecret } from '../support/secrets.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

const MASTER = 'sk-master-keys-cli-1c9d44';
let upstream: FakeServer;
let proxy: ProxyCli;
const dir = tempDir();
const env = baseEnv({ XDG_STATE_HOME: join(dir, 'state'), LLMPASS_MASTER_KEY: MASTER });
const keys = (...args: string[]) => runCli({ args: ['keys', ...args], cwd: dir, env });

beforeAll(async () => {
  upstream = await startFakeUpstream();
  proxy = await startKeyedProxy({ master: MASTER, upstream, aliases: { lang: '', other: '' }, stateDir: join(dir, 'state') });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

it('creates a key once, lists and describes it without it, and revokes it through the proxy', async () => {
  const created = await keys('create', '--alias', 'ci', '--models', 'lang', '--budget', '5', '--budget-duration', '30d', '--rpm', '60', '--expires', '90d');
  expect(created.code, created.stderr).toBe(0);
  const key = created.stdout.toString().trim();
  expect(key).toMatch(/^sk-/);
  expect(created.stderr).toMatch(/shown only now/);

  const chat = (model: string) => postJson(`${proxy.url}/vllm/v1/chat/completions`, { model }, key);
  expect((await chat('lang')).status).toBe(200);
  expectProxyError(await chat('other'), 401);

  const list = await keys('list');
  expect(list.stdout.toString()).toMatch(new RegExp(`ci\\s+sk-\\.\\.\\.${key.slice(-4).replace(/[-_]/g, '\\$&')}\\s+active`));
  const info = await keys('info', 'ci', '--json');
  expect(JSON.parse(info.stdout.toString())).toMatchObject({ key_alias: 'ci', models: ['lang'], max_budget: 5, rpm_limit: 60, budget_duration: '30d' });
  const viaProxy = await keys('list', '--proxy', proxy.url, '--json');
  expect(JSON.parse(viaProxy.stdout.toString())).toEqual([expect.objectContaining({ key_alias: 'ci' })]);
  for (const out of [list, info, viaProxy]) expectNoSecret(out.stdout.toString() + out.stderr, [key, key.slice(0, 12)], 'keys output');

  const revoked = await keys('revoke', 'ci', '--proxy', proxy.url);
  expect(revoked.code, revoked.stderr).toBe(0);
  expect(revoked.stdout.toString()).toMatch(/status\s+revoked/);
  expectProxyError(await chat('lang'), 401, { message: /revoked/ });

  const missing = await keys('info', 'nope');
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe('llmpass: no key nope: see llmpass keys list, or GET /key/list\n');
});
