// An upstream's error answer that quotes the key it was sent (a careless 401) is printed by `call` and a `--jsonl`
// line with the key masked, as the proxy relays it: piped to a CI log or left in a terminal, it never shows the
// key. A 2xx is printed byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeServer } from '../fixtures/fake-upstream.ts';
import { assertBuilt, call } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

const KEY = 'sk-cli-echo-4c9e27b1a0d8f365';
const HEADER_TOKEN = 'hdr-cli-echo-e0a17c3b95';
let upstream: FakeServer;
let project: string;

beforeAll(async () => {
  assertBuilt();
  upstream = await startFakeUpstream((req, res) => {
    const said = `invalid credentials: ${JSON.stringify(req.headers)}`;
    const status = req.path.endsWith('/ok') ? 200 : 401;
    const body = JSON.stringify(status === 200 ? { echoed: 'fine' } : { error: { message: said } });
    res.writeHead(status, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="${req.headers.authorization ?? ''}"` });
    res.end(body);
  });
  project = tempConfig(`model_list:
  - model_name: echo
    litellm_params:
      model: hosted_vllm/echo-model
      api_base: ${upstream.url}
      api_key: ${KEY}
      extra_headers: { x-team-token: ${HEADER_TOKEN} }
`);
});

afterAll(async () => {
  await upstream.close();
  cleanupTemp();
});

describe('an error answer quoting the credentials', () => {
  it('call prints it with the key and the extra_headers token masked, exit 4, --include headers too', async () => {
    for (const args of [[], ['--include'], ['--verbose']]) {
      const result = await call(project, ['echo', 'fail', '--json', '{"input":"hi"}', ...args]);
      expect(result.code, result.stderr).toBe(4);
      const printed = `${result.stdout.toString()}${result.stderr}`;
      expect(printed).toContain('invalid credentials');
      expect(printed).not.toContain(KEY);
      expect(printed).not.toContain(HEADER_TOKEN);
    }
  });

  it('a --jsonl line says what the upstream answered, masked', async () => {
    const result = await call(project, ['echo', 'fail', '--jsonl'], { input: '{"input":"a"}\n{"input":"b"}\n' });
    const printed = `${result.stdout.toString()}${result.stderr}`;
    expect(printed).toContain('invalid credentials');
    expect(printed).not.toContain(KEY);
    expect(printed).not.toContain(HEADER_TOKEN);
  });

  it('a 2xx is printed as it came', async () => {
    const result = await call(project, ['echo', 'ok', '--json', '{"input":"hi"}']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toBe('{"echoed":"fine"}');
  });
});
