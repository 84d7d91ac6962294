// Secret canaries across every output surface. A distinct canary for every provider key in the table (each
// provider's own key variable), for keys named in the config, for the master key and for cloud credentials; then
// every way llmpass can print: `call` with --verbose/--include/--debug, --dry-run, --curl and its errors (network,
// timeout, upstream 4xx, config errors in YAML and JSON quoting the key's line), `models` (--json, --check, --junit),
// `providers` (--json), and the proxy (banner, access log, stderr, its error bodies, /metrics, readiness probes, a
// config it refuses). No canary may show anywhere, and each upstream may see only its own provider's key.
// test/e2e/call.test.ts and test/proxy/secrets.test.ts hold the first three providers' cases; this extends them to all.
// LOCATIONS is the table of every place a config can hold a credential (api_key, extra_headers as a literal,
// os.environ/ or ${} reference, api_base userinfo and query, an api_base from a variable, a pass-through route's
// headers and target); each has its own alias, its own canary and an upstream that echoes what it got into the
// probes' answers, and goes through every surface above. Cloud credentials (AWS keys, vertex_credentials in each
// stored form) are test/cloud/secrets.test.ts's table.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlCommand, describeRequest } from '../../src/cli/call/describe-request.ts';
import { readPayload } from '../../src/cli/call/payload.ts';
import { loadConfig } from '../../src/config/load.ts';
import { listProviders } from '../../src/providers/registry.ts';
import { Router } from '../../src/router/router.ts';
import type { ProviderSpec } from '../../src/providers/types.ts';
import { startFakeUpstream } from '../fixtures/fake-upstream.ts';
import type { FakeServer, RecordedRequest } from '../fixtures/recording.ts';
import { assertBuilt, baseEnv, deadPort, runCli, type CliResult } from '../support/cli.ts';
import { http, startProxyCli, stopAllProxies, type HttpAnswer, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp, tempDir, writeFiles } from '../support/tmp.ts';
import { expectNoSecret } from '../support/secrets.ts';

const nonce = Math.random().toString(36).slice(2, 10);
const canary = (name: string) => `cnry-${name.replace(/[^a-z0-9]/gi, '')}-${nonce}-zq`;

/** Providers whose key is a header: every one gets its own base on the fake and its own key. */
const keyed: ProviderSpec[] = listProviders().filter((p) => (p.auth.kind === 'bearer' || p.auth.kind === 'header') && p.apiBaseEnv.length > 0 && p.apiKeyEnv.length > 0);
const KEYS: Record<string, string> = Object.fromEntries(keyed.map((p) => [p.id, canary(p.id)]));
const MASTER = canary('master');
const ALIAS_KEYS = { gem: canary('aliasgemini'), azr: canary('aliasazure'), coh: canary('aliascohere'), mine: canary('declared'), flag: canary('flag'), query: canary('query') };
const CLOUD = { AWS_ACCESS_KEY_ID: `AKIA${nonce.toUpperCase()}CNRY`, AWS_SECRET_ACCESS_KEY: canary('awssecret'), AWS_SESSION_TOKEN: canary('awstoken'), GOOGLE_OAUTH_ACCESS_TOKEN: canary('gcptoken') };
const LITERAL = canary('literal');

/** A credential in one place of a config: an alias (or a pass-through route) of its own, and what it sets. */
interface Location {
  alias: string;
  canary: string;
  /** hosted_vllm/served unless given. */
  model?: string;
  /** The entry's litellm_params (a flow mapping's inside), given the base of its own path on the fake. */
  params: (base: string, secret: string) => string;
  env?: (base: string, secret: string) => Record<string, string>;
  /** How the upstream must have received it. */
  sent: (request: RecordedRequest, secret: string) => boolean;
}

const header = (name: string, value: (secret: string) => string) => (request: RecordedRequest, secret: string) => request.headers[name] === value(secret);
const basic = (request: RecordedRequest, secret: string) => request.headers.authorization === `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}`;
const inQuery = (request: RecordedRequest, secret: string) => request.query.get('code') === secret;
const withUserinfo = (base: string, secret: string) => base.replace('://', `://svc:${secret}@`);

const LOCATIONS: Location[] = ([
  { alias: 'loc-key-literal', params: (base, secret) => `api_base: "${base}", api_key: "${secret}"`, sent: header('authorization', (s) => `Bearer ${s}`) },
  { alias: 'loc-key-env', params: (base) => `api_base: "${base}", api_key: os.environ/LOC_KEY_ENV`, env: (_b, secret) => ({ LOC_KEY_ENV: secret }), sent: header('authorization', (s) => `Bearer ${s}`) },
  { alias: 'loc-header-literal', params: (base, secret) => `api_base: "${base}", extra_headers: { x-team-token: "${secret}" }`, sent: header('x-team-token', (s) => s) },
  { alias: 'loc-header-env', params: (base) => `api_base: "${base}", extra_headers: { x-team-token: os.environ/LOC_HEADER_ENV }`, env: (_b, secret) => ({ LOC_HEADER_ENV: secret }), sent: header('x-team-token', (s) => s) },
  { alias: 'loc-header-braced', params: (base) => `api_base: "${base}", extra_headers: { x-team-token: "Token \${LOC_HEADER_BRACED}" }`, env: (_b, secret) => ({ LOC_HEADER_BRACED: secret }), sent: header('x-team-token', (s) => `Token ${s}`) },
  // (on a provider without auth: a key from HOSTED_VLLM_API_KEY would replace Basic auth, as -H does in curl)
  { alias: 'loc-userinfo', model: 'plain/served', params: (base, secret) => `api_base: "${withUserinfo(base, secret)}"`, sent: basic },
  { alias: 'loc-query', params: (base, secret) => `api_base: "${base}?code=${secret}"`, sent: inQuery },
  { alias: 'loc-base-env', model: 'plain/served', params: () => `api_base: os.environ/LOC_BASE_ENV`, env: (base, secret) => ({ LOC_BASE_ENV: `${withUserinfo(base, secret)}?code=${secret}` }), sent: (r, s) => basic(r, s) && inQuery(r, s) },
] satisfies Array<Omit<Location, 'canary'>>).map((location) => ({ ...location, canary: canary(location.alias) }));

/** pass_through_endpoints: a target with userinfo and a key in its query, headers literal and from the environment. */
const ROUTE = { path: '/fn', owner: 'pt-fn', target: canary('pttarget'), header: canary('ptheader'), env: canary('ptenv') };

const ALL = [...Object.values(KEYS), MASTER, ...Object.values(ALIAS_KEYS), ...Object.values(CLOUD), LITERAL, ...LOCATIONS.map((l) => l.canary), ROUTE.target, ROUTE.header, ROUTE.env];

let upstream: FakeServer;
let dead: string;
let project: string;
let env: NodeJS.ProcessEnv;
const outputs: Array<{ what: string; text: string }> = [];

function keep(what: string, result: CliResult): CliResult {
  outputs.push({ what, text: `${result.stdout.toString('latin1')}\n${result.stderr}` });
  return result;
}

function keepAnswer(what: string, answer: HttpAnswer): HttpAnswer {
  outputs.push({ what, text: `${answer.rawHeaders.join('\n')}\n${answer.text}` });
  return answer;
}

/** Which provider a request to the fake was for: its base is /p/<provider id>/..., aliases under /a/<alias>/... */
function ownerOf(request: RecordedRequest): string | undefined {
  return /^\/(?:p|a)\/([^/]+)/.exec(request.path)?.[1];
}

/** The secrets an owner may see: its own key, and for an alias its provider's key (the fallback when none is set). */
function allowedFor(owner: string): Set<string> {
  const providerOfAlias: Record<string, string> = { gem: 'gemini', azr: 'azure', coh: 'cohere', mine: 'mine', flag: 'hosted_vllm', unset: 'openai' };
  const allowed = new Set<string>();
  if (KEYS[owner]) allowed.add(KEYS[owner]);
  const viaAlias = providerOfAlias[owner];
  if (viaAlias) {
    allowed.add(ALIAS_KEYS[owner as keyof typeof ALIAS_KEYS]);
    if (KEYS[viaAlias]) allowed.add(KEYS[viaAlias]);
  }
  if (owner === 'flag') allowed.add(ALIAS_KEYS.flag).add(ALIAS_KEYS.query);
  const location = LOCATIONS.find((l) => l.alias === owner);
  // (with no api_key of its own, an alias falls back on its provider's variable, as `flag` does)
  if (location) allowed.add(location.canary).add(KEYS.hosted_vllm!);
  if (owner === ROUTE.owner) allowed.add(ROUTE.target).add(ROUTE.header).add(ROUTE.env);
  return allowed;
}

beforeAll(async () => {
  assertBuilt();
  upstream = await startFakeUpstream(async (req, res) => {
    if (req.path.includes('/hang')) return; // never answers
    // A location's upstream echoes what it was sent into the probes' answers (health, model list), as a careless
    // gateway might in an error: every probe reason must mask it.
    if (/^\/a\/loc-/.test(req.path) && req.method === 'GET') {
      const echo = JSON.stringify({ error: { message: `refused ${req.url} ${JSON.stringify(req.headers)}` } });
      res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(echo) });
      res.end(echo);
      return;
    }
    const code = req.path.includes('/nope') ? 401 : 200;
    const body = JSON.stringify(code === 200 ? { object: 'list', data: [{ id: 'm' }, { id: 'served' }], ok: true } : { error: { message: 'Incorrect API key provided' } });
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  dead = `http://127.0.0.1:${await deadPort()}`;
  env = baseEnv({ ...CLOUD, GEMINI_KEY: ALIAS_KEYS.gem, AZURE_KEY: ALIAS_KEYS.azr, COHERE_KEY: ALIAS_KEYS.coh, MINE_KEY: ALIAS_KEYS.mine, PT_ENV: ROUTE.env });
  for (const location of LOCATIONS) Object.assign(env, location.env?.(`${upstream.url}/a/${location.alias}`, location.canary));
  for (const provider of keyed) {
    env[provider.apiBaseEnv[0]!] = `${upstream.url}/p/${provider.id}`;
    env[provider.apiKeyEnv[0]!] = KEYS[provider.id];
  }
  project = writeFiles(tempDir('llmpass-secrets-'), {
    'llmpass.config.yaml': `model_list:
  - model_name: gem
    litellm_params: { model: gemini/served, api_base: "${upstream.url}/a/gem", api_key: os.environ/GEMINI_KEY }
  - model_name: azr
    litellm_params: { model: azure/served, api_base: "${upstream.url}/a/azr", api_key: os.environ/AZURE_KEY, api_version: "2024-10-21" }
  - model_name: coh
    litellm_params: { model: cohere/served, api_base: "${upstream.url}/a/coh", api_key: os.environ/COHERE_KEY }
  - model_name: mine
    litellm_params: { model: mine/served, api_base: "${upstream.url}/a/mine", api_key: os.environ/MINE_KEY }
  - model_name: flag
    litellm_params: { model: hosted_vllm/served, api_base: "${upstream.url}/a/flag" }
  - model_name: unset
    litellm_params: { model: openai/served, api_base: "${upstream.url}/a/unset", api_key: os.environ/NOT_SET_ANYWHERE }
${LOCATIONS.map((l) => `  - model_name: ${l.alias}\n    litellm_params: { model: ${l.model ?? 'hosted_vllm/served'}, ${l.params(`${upstream.url}/a/${l.alias}`, l.canary)} }\n`).join('')}providers:
  - id: plain
    auth: none
    models_path: v1/models
  - id: mine
    auth: { header: x-mine-key }
    api_key_env: MINE_KEY
    models_path: v1/models
router_settings:
  num_retries: 0
general_settings:
  master_key: os.environ/MASTER
  pass_through_endpoints:
    - path: ${ROUTE.path}
      target: "${upstream.url.replace('://', `://svc:${ROUTE.target}@`)}/a/${ROUTE.owner}?code=${ROUTE.target}"
      headers: { x-fn-key: "${ROUTE.header}", x-fn-env: os.environ/PT_ENV }
    - path: ${ROUTE.path}-hang
      target: "${upstream.url}/a/${ROUTE.owner}/hang?code=${ROUTE.target}"
      headers: { x-fn-key: "${ROUTE.header}" }
`,
    // A key written into the file, next to the mistake that makes the file fail to load.
    'broken.json': `{"model_list": [{"model_name": "x", "litellm_params": {"model": "openai/x", "api_key": "${LITERAL}"}}]}${LITERAL}`,
    'broken-early.json': `{"general_settings": {"master_key": ${LITERAL}}}`,
    'broken.yaml': `model_list:\n  - model_name: x\n    litellm_params: { model: openai/x, api_key: ${LITERAL} }\n  bad: [${LITERAL}\n`,
    'broken-indent.yaml': `general_settings:\n  master_key: ${LITERAL}\n   oops: ${LITERAL}\n`,
    'wrong-type.yaml': `model_list:\n  - model_name: x\n    litellm_params: { model: openai/x, api_key: [${LITERAL}], extra_headers: { authorization: [${LITERAL}] } }\ngeneral_settings: { master_key: { value: ${LITERAL} } }\nenvironment_variables: { OPENAI_API_KEY: [${LITERAL}] }\n`,
  });
  env.MASTER = MASTER;
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

// At most four CLIs at a time: the rest of the suite shares the two cores.
let running = 0;
const waiting: Array<() => void> = [];
async function run(what: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  if (running >= 4) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return keep(what, await runCli({ args, cwd: project, env: { ...env, ...extraEnv }, timeoutMs: 20_000 }));
  } finally {
    running--;
    waiting.shift()?.();
  }
}

type Printing = 'dry-run' | 'curl';
/** What --api-key and --query would have set. */
interface Given {
  apiKey?: string;
  query?: Array<[string, string]>;
}

/**
 * What `llmpass call ALIAS ENDPOINT --dry-run|--curl --json BODY` prints in the project, computed in this process as
 * the command computes it (its config, payload, Router.prepare, then describeRequest or curlCommand); kept as an output.
 */
async function printed(what: string, flag: Printing, alias: string, endpoint: string, body: string, given: Given = {}): Promise<string> {
  const config = await loadConfig({ cwd: project, env });
  const payload = await readPayload({ json: body }, undefined, process.stdin);
  const prepared = new Router({ config }).prepare({ model: alias, endpoint, query: given.query ?? [], headers: [], json: payload.json, body: payload.body, bodyLength: payload.length, apiKey: given.apiKey });
  const text = `${flag === 'curl' ? curlCommand(prepared, payload.curlSource) : describeRequest(prepared)}\n`;
  outputs.push({ what: what.endsWith('in process') ? what : `${what} in process`, text });
  return text;
}

describe('call, models and providers print no secret', () => {
  it('call on every auth scheme, with every printing flag, and its errors', async () => {
    const chat = '{"model":"x","messages":[{"role":"user","content":"hi"}]}';
    const runs: Array<Promise<CliResult>> = [];
    const labels: string[] = [];
    const cli = (what: string, args: string[]) => {
      labels.push(what);
      return run(what, args);
    };
    const printRuns: Array<Promise<void>> = [];
    // --dry-run and --curl print what Router.prepare built: every case in this process (print), one of each flag in
    // a real process too, and the two must print the same (the flags' argv reach the same request).
    const print = (what: string, flag: Printing, alias: string, endpoint: string, body: string, given: Given = {}) => printRuns.push(printed(what, flag, alias, endpoint, body, given).then(() => undefined));
    const spawnedPrint = (what: string, flag: Printing, alias: string, endpoint: string, body: string, args: string[], given: Given = {}) =>
      printRuns.push(Promise.all([run(what, ['call', alias, endpoint, `--${flag}`, ...args, '--json', body]), printed(`${what} in process`, flag, alias, endpoint, body, given)]).then(([result, text]) => {
        expect(result.code, `${what}: ${result.stderr}`).toBe(0);
        expect(result.stdout.toString(), what).toBe(text);
      }));
    for (const [alias, endpoint] of [['gem', 'v1beta/models/served:generateContent'], ['azr', 'chat/completions'], ['coh', 'v2/chat'], ['mine', 'v1/chat/completions']] as const) {
      runs.push(cli(`${alias} verbose`, ['call', alias, endpoint, '--verbose', '--include', '--debug', '--json', chat]));
      if (alias === 'gem') spawnedPrint(`${alias} dry-run`, 'dry-run', alias, endpoint, chat, []);
      else print(`${alias} dry-run`, 'dry-run', alias, endpoint, chat);
      print(`${alias} curl`, 'curl', alias, endpoint, chat);
      runs.push(cli(`${alias} 4xx`, ['call', alias, `${endpoint}/nope`, '--verbose', '--include', '--debug', '--json', chat]));
      runs.push(cli(`${alias} dead`, ['call', alias, endpoint, '--api-base', dead, '--verbose', '--debug', '--json', chat]));
    }
    // Every location of a credential in the config, through every printing flag and failure.
    for (const { alias } of LOCATIONS) {
      runs.push(cli(`${alias} verbose`, ['call', alias, 'classify', '--verbose', '--include', '--debug', '--json', '{}']));
      print(`${alias} dry-run`, 'dry-run', alias, 'classify?q=1', '{}');
      print(`${alias} curl`, 'curl', alias, 'classify?q=1', '{}');
      runs.push(cli(`${alias} 4xx`, ['call', alias, 'classify/nope', '--verbose', '--include', '--debug', '--json', '{}']));
      runs.push(cli(`${alias} timeout`, ['call', alias, 'hang', '--timeout', '1', '--verbose', '--debug', '--json', '{}']));
    }
    // A key given as a flag, and one in the query string (Gemini's ?key=), through the same surfaces.
    const flagKey = ['--api-key', ALIAS_KEYS.flag];
    runs.push(cli('flag verbose', ['call', 'flag', 'classify', ...flagKey, '--verbose', '--include', '--debug', '--json', '{}']));
    spawnedPrint('flag curl', 'curl', 'flag', 'classify', '{}', flagKey, { apiKey: ALIAS_KEYS.flag });
    print('flag dry-run', 'dry-run', 'flag', 'classify', '{}', { apiKey: ALIAS_KEYS.flag });
    runs.push(cli('flag timeout', ['call', 'flag', 'hang', ...flagKey, '--timeout', '1', '--verbose', '--debug', '--json', '{}']));
    runs.push(cli('query key', ['call', 'flag', 'classify', '--query', `key=${ALIAS_KEYS.query}`, '--verbose', '--include', '--debug', '--json', '{}']));
    runs.push(cli('query key dead', ['call', 'flag', `classify?key=${ALIAS_KEYS.query}`, '--api-base', dead, '--verbose', '--debug', '--json', '{}']));
    print('query key curl', 'curl', 'flag', `classify?key=${ALIAS_KEYS.query}`, '{}');
    print('query key flag dry-run', 'dry-run', 'flag', 'classify', '{}', { query: [['key', ALIAS_KEYS.query]] });
    // Every provider of the table, used directly (provider/model, the key from its own variable), in one process:
    // `models --check` over a config naming each, so each key goes out and every probe's result is printed.
    const everyProvider = `model_list:\n${keyed.map((p) => `  - model_name: direct-${p.id}\n    litellm_params: { model: ${p.id}/m }\n`).join('')}`;
    writeFileSync(join(project, 'every-provider.yaml'), everyProvider);
    runs.push(cli('every provider check', ['models', '--check', '--config', 'every-provider.yaml', '--timeout', '5']));
    runs.push(cli('every provider list', ['models', '--config', 'every-provider.yaml']));
    const results = await Promise.all(runs);
    await Promise.all(printRuns);
    // The runs meant to fail exit 4 (an upstream 4xx) or 3 (dead, silent); every other one exits 0.
    const expected = (what: string) => (/4xx/.test(what) ? 4 : /dead|timeout/.test(what) ? 3 : 0);
    for (const [i, result] of results.entries()) {
      // a check may fail on a provider whose probe the fake does not answer as it expects: exit 1, still printed
      if (labels[i]!.endsWith('check')) expect(result.code, `${labels[i]}: ${result.stderr}`).toBeLessThanOrEqual(1);
      else expect(result.code, `${labels[i]}: ${result.stderr}`).toBe(expected(labels[i]!));
    }
    const shown = [...results.map((result) => result.stdout.toString()), ...outputs.filter((o) => o.what.endsWith('in process')).map((o) => o.text)].join('\n');
    expect(shown).toContain('x-goog-api-key: $GEMINI_KEY');
    expect(shown).toContain('x-mine-key: $MINE_KEY');
    // a configured credential prints as its variable or ***, wherever it sits
    expect(shown).toContain('x-team-token: $LOC_HEADER_ENV');
    expect(shown).toContain('x-team-token: Token $LOC_HEADER_BRACED');
    expect(shown).toContain("-H 'x-team-token: ***'");
    expect(shown).toContain('authorization: Basic ***');
    expect(shown).toMatch(/\/a\/loc-query\/classify\?code=\*\*\*&q=1/);
  }, 60_000);

  it('config errors quote no key, in YAML or JSON, for call, models, providers and the proxy', async () => {
    const runs: Array<Promise<void>> = [];
    const commands = [['call', 'x', 'y', '--json', '{}'], ['proxy', '--port', '0'], ['models'], ['providers']];
    for (const [i, file] of ['broken.json', 'broken.yaml', 'wrong-type.yaml', 'broken-early.json', 'broken-indent.yaml'].entries()) {
      // every file through call and the proxy; the first two through models and providers too (the same loading)
      for (const args of commands.slice(0, i < 2 ? 4 : 2)) {
        runs.push(run(`${file} ${args[0]}`, [...args, '--config', file, '--debug']).then((result) => expect(result.code, `${file} ${args[0]}: ${result.stderr}`).toBe(2)));
      }
    }
    await Promise.all(runs);
    // A missing variable names the variable, and a key from the environment is never quoted.
    const unset = await run('unset', ['call', 'unset', 'v1/models', '--verbose', '--debug']);
    expect(unset.stderr).toContain('NOT_SET_ANYWHERE');
  }, 60_000);

  it('models (table and --json), models --check with --junit, providers (table and --json)', async () => {
    const junit = join(project, 'report.xml');
    const results = await Promise.all([
      run('models', ['models']),
      run('models json', ['models', '--json']),
      run('models check', ['models', '--check', '--timeout', '2', '--junit', junit]),
      run('models check json', ['models', '--check', '--json', '--timeout', '2']),
      run('providers', ['providers']),
      run('providers json', ['providers', '--json']),
    ]);
    for (const result of results) expect(result.stdout.length + result.stderr.length).toBeGreaterThan(0);
    outputs.push({ what: 'junit report', text: readFileSync(junit, 'utf8') });
  }, 60_000);
});

describe('the proxy prints no secret', () => {
  let proxy: ProxyCli;
  let exit: number | null;

  beforeAll(async () => {
    writeFileSync(join(project, 'proxy.yaml'), readFileSync(join(project, 'llmpass.config.yaml'), 'utf8'));
    proxy = await startProxyCli({ config: readFileSync(join(project, 'llmpass.config.yaml'), 'utf8'), env: { ...env, PATH: env.PATH }, args: ['--timeout', '1'] });
    const url = proxy.url;
    const auth = { authorization: `Bearer ${MASTER}` };
    const chat = JSON.stringify({ model: 'm', messages: [] });
    // Every keyed provider's route, from its environment
    for (const provider of keyed) {
      const path = provider.id === 'gemini' ? 'v1beta/models/m:generateContent' : 'v1/chat/completions';
      keepAnswer(provider.id, await http(`${url}${provider.routePrefix}/${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: chat }));
    }
    // Aliases, through every way of presenting the master key
    for (const [header, value] of [['x-api-key', MASTER], ['api-key', MASTER], ['x-goog-api-key', MASTER], ['x-llmpass-api-key', MASTER]] as const) {
      keepAnswer(`alias via ${header}`, await http(`${url}/cohere/v2/chat`, { method: 'POST', headers: { [header]: value, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'coh', messages: [] }) }));
    }
    keepAnswer('mine alias', await http(`${url}/mine/v1/chat/completions?key=${MASTER}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mine' }) }));
    // Errors: other canaries presented as the master key, no route, bad JSON, a dead or silent upstream, an upstream 401
    for (const wrong of [KEYS.openai!, ALIAS_KEYS.gem, CLOUD.AWS_SECRET_ACCESS_KEY]) {
      keepAnswer('401', await http(`${url}/openai/v1/models`, { headers: { authorization: `Bearer ${wrong}` } }));
      keepAnswer('401 query', await http(`${url}/gemini/v1beta/models?key=${wrong}`));
    }
    keepAnswer('404', await http(`${url}/nowhere/at/all?key=${MASTER}`));
    keepAnswer('400', await http(`${url}/openai/v1/chat/completions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: `{"api_key": "${MASTER}"` }));
    // The 504s each wait out the proxy's one-second timeout: sent together, so the waits overlap.
    const timeouts: Array<Promise<HttpAnswer>> = [];
    const keepTimeout = (what: string, answer: Promise<HttpAnswer>) => timeouts.push(answer.then((a) => keepAnswer(what, a)));
    keepTimeout('504', http(`${url}/cohere/hang`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'coh' }) }));
    keepAnswer('relayed 401', await http(`${url}/azure/nope`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'azr' }) }));
    keepAnswer('unset', await http(`${url}/openai/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'unset' }) }));
    for (const { alias } of LOCATIONS) {
      keepAnswer(`${alias} via proxy`, await http(`${url}/vllm/classify`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: alias }) }));
      keepTimeout(`${alias} 504`, http(`${url}/vllm/hang`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: alias }) }));
    }
    keepAnswer('pass-through route', await http(`${url}${ROUTE.path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }));
    keepTimeout('pass-through 504', http(`${url}${ROUTE.path}-hang`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }));
    await Promise.all(timeouts);
    keepAnswer('metrics', await http(`${url}/metrics`, { headers: auth }));
    keepAnswer('readiness', await http(`${url}/health/readiness?probe=1`, { headers: auth }));
    await proxy.waitForRequests(keyed.length + 15);
    exit = (await proxy.stop('SIGTERM')).code;
    outputs.push({ what: 'proxy banner and access log', text: proxy.stdout }, { what: 'proxy stderr', text: proxy.stderr });
  }, 60_000);

  it('served every route, and exited cleanly', () => {
    expect(exit).toBe(0);
    expect(proxy.requests().length).toBeGreaterThanOrEqual(keyed.length + 15);
  });

  it('each upstream request carried its own provider\'s key and no other secret', () => {
    const seenOwners = new Set<string>();
    for (const request of upstream.requests) {
      const owner = ownerOf(request);
      expect(owner, request.url).toBeDefined();
      seenOwners.add(owner!);
      const text = `${request.method} ${request.url}\n${request.rawHeaders.join('\n')}\n${request.body.toString('latin1')}`;
      const allowed = allowedFor(owner!);
      for (const secret of ALL.filter((s) => !allowed.has(s))) expect(text.includes(secret), `${secret} reached ${owner}: ${text.slice(0, 500)}`).toBe(false);
    }
    // every location's credential reached its upstream, in the form it is sent (Basic auth, query, header)
    for (const location of LOCATIONS) {
      const reached = upstream.requests.filter((request) => ownerOf(request) === location.alias);
      expect(reached.length, location.alias).toBeGreaterThan(0);
      expect(reached.some((request) => location.sent(request, location.canary)), `${location.alias} got its credential`).toBe(true);
    }
    const routed = upstream.requests.filter((request) => ownerOf(request) === ROUTE.owner && !request.path.includes('/hang'));
    expect(routed.some((r) => r.query.get('code') === ROUTE.target && r.headers['x-fn-key'] === ROUTE.header && r.headers['x-fn-env'] === ROUTE.env && basic(r, ROUTE.target)), 'the pass-through route got its credentials').toBe(true);
    // every keyed provider was reached, each with its key
    for (const provider of keyed) {
      expect(seenOwners.has(provider.id), provider.id).toBe(true);
      const reached = upstream.requests.filter((request) => ownerOf(request) === provider.id);
      expect(reached.some((request) => request.rawHeaders.join('\n').includes(KEYS[provider.id]!)), `${provider.id} got its key`).toBe(true);
    }
  });
});

describe('no canary anywhere', () => {
  it('in any output collected above', () => {
    expect(outputs.length).toBeGreaterThan(60);
    for (const { what, text } of outputs) {
      expectNoSecret(text, ALL, what);
    }
  });
});
