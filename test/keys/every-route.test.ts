// Every route the proxy serves goes through the key gate: the sample paths are built from the route table's own
// sources (every provider prefix and alias, the config's pass_through_endpoints, the model lists, the key API,
// health and metrics); a route kind without a sample, or without an entry in ROUTE_ACCESS, fails here.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KEY_API } from '../../src/keys/api.ts';
import { listProviders } from '../../src/providers/registry.ts';
import { ALIAS_LISTS, ROUTE_ACCESS, routeTable, type Route } from '../../src/proxy/routes.ts';
import { startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { startKeyedProxy } from '../support/keyed-proxy.ts';
import { http, postJson, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { expectProxyError } from '../support/proxy-error.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER = 'sk-master-every-route-77a0d2';
const CONFIGURED = [{ path: '/custom', target: '', include_subpath: true }];
let upstream: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  proxy = await startKeyedProxy({ master: MASTER, upstream, aliases: { lang: '' } });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

function samplePaths(): string[] {
  const providers = listProviders().flatMap((p) => [p.routePrefix, ...(p.aliases ?? []).map((a) => `/${a}`)].map((prefix) => `${prefix.replace(/\/+$/, '')}/v1/chat/completions`));
  return ['/health/liveliness', '/health/liveness', '/health/readiness', '/metrics', '/custom', '/custom/sub', ...ALIAS_LISTS.keys(), ...KEY_API.keys(), ...providers];
}

it('has a sample of every route kind, and each kind says who may reach it', () => {
  const route = routeTable(listProviders(), CONFIGURED);
  const kinds = new Set(samplePaths().map((path) => route(path, '')?.kind));
  expect([...kinds].sort()).toEqual(Object.keys(ROUTE_ACCESS).sort());
});

it('refuses a key on every keyed route outside its lists and on every master-only route; public routes stay open', async () => {
  const made = await postJson(`${proxy.url}/key/generate`, { allowed_routes: ['/nothing'], models: ['nothing'] }, MASTER);
  const { key } = made.json<{ key: string }>();
  const route = routeTable(listProviders(), CONFIGURED);
  const before = upstream.requests.length;
  for (const path of samplePaths()) {
    const matched = route(path, '') as Route;
    const access = ROUTE_ACCESS[matched.kind];
    const method = matched.kind === 'keys' ? KEY_API.get(path)!.method : 'POST';
    const answer = await http(`${proxy.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{"model":"lang"}' : undefined });
    if (access === 'public') expect(answer.status, path).toBeLessThan(400);
    // /key/info about oneself is the one master route a key may call.
    else if (path === '/key/info') expect(answer.status, path).toBe(200);
    else expectProxyError(answer, 401, { message: access === 'master' ? /master key/ : /may not call route/ });
  }
  expect(upstream.requests.length).toBe(before);
});

it('refuses the key API on a proxy without a master key', async () => {
  const open = await startKeyedProxy({ master: '', upstream, aliases: { lang: '' } });
  expectProxyError(await postJson(`${open.url}/key/generate`, {}, undefined), 401, { message: /need a master key/ });
});
