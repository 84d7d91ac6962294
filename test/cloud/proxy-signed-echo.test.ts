// A signed provider's credential is computed per request (Vertex's OAuth bearer), so it is in no config to mask: an
// upstream error that echoes it must still reach the proxy's client masked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeServiceAccount, startFakeOAuth, type FakeOAuth } from '../fixtures/fake-google.ts';
import { http, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { startRawServer, type RawServer } from '../support/raw-server.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER = 'sk-llmpass-signed-echo-61f0';

let oauth: FakeOAuth;
let vertex: RawServer;
let proxy: ProxyCli;

beforeAll(async () => {
  oauth = await startFakeOAuth();
  const account = makeServiceAccount(oauth.tokenUri, 'echo-project');
  oauth.trust(account);
  // Vertex refusing the call and quoting the bearer it was sent.
  vertex = await startRawServer((req, res) => {
    req.resume();
    const body = JSON.stringify({ error: { code: 401, message: `token ${req.headers.authorization} is not valid here` } });
    res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  proxy = await startProxyCli({
    config: `model_list:
  - model_name: my-gemini
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      api_base: ${vertex.url}
      vertex_project: echo-project
      vertex_location: us-central1
      vertex_credentials: os.environ/ECHO_SA
router_settings:
  num_retries: 0
`,
    env: { LLMPASS_MASTER_KEY: MASTER, ECHO_SA: JSON.stringify(account.json) },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([vertex?.close(), oauth?.close()]);
  cleanupTemp();
});

describe('an upstream error echoing a signed credential', () => {
  it('Vertex quoting its OAuth bearer: the client sees it masked', async () => {
    const answer = await http(`${proxy.url}/vertex_ai/v1/projects/any/locations/us-central1/publishers/google/models/my-gemini:generateContent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
    });
    expect(answer.status).toBe(401);
    expect(oauth.issued.length).toBe(1);
    expect(answer.text).not.toContain(oauth.issued[0]);
    expect(answer.text).toContain('token *** is not valid here');
  });
});
