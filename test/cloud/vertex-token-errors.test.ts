// A Vertex key's token endpoint failing in ways google-auth-library words badly: a body that is not OAuth's error
// shape (it read "[object Object]: undefined"), a token_uri holding user:password or a `?key=` (quoted whole by the
// library), and two aliases sharing one key (the first alias's name showed in the second's error).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/load.ts';
import { CredentialsError } from '../../src/errors.ts';
import { Router } from '../../src/router/router.ts';
import { makeServiceAccount } from '../fixtures/fake-google.ts';
import { deadPort } from '../support/cli.ts';
import { startRawServer, type RawServer } from '../support/raw-server.ts';

let tokenEndpoint: RawServer;

beforeAll(async () => {
  // A Google API error where OAuth's {"error": "...", "error_description": "..."} was expected.
  tokenEndpoint = await startRawServer((req, res) => {
    req.resume();
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } }));
  });
});

afterAll(async () => {
  await tokenEndpoint?.close();
});

async function failure(tokenUri: string, aliases: string[]): Promise<string[]> {
  const account = makeServiceAccount(tokenUri, 'token-errors');
  const params = { model: 'vertex_ai/gemini-2.0-flash', api_base: tokenEndpoint.url, vertex_credentials: account.json };
  const config = configFromObject({ model_list: aliases.map((name) => ({ model_name: name, litellm_params: params })) }, undefined, {});
  const router = new Router({ config, numRetries: 0 });
  const messages: string[] = [];
  for (const alias of aliases) {
    const error = await router.passthrough({ model: alias, endpoint: 'generateContent', json: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    messages.push((error as Error).message);
  }
  return messages;
}

describe('Vertex token failures', () => {
  it('a token endpoint answering a non-OAuth error body: its status and message, not [object Object]', async () => {
    const [message] = await failure(`${tokenEndpoint.url}/token`, ['plain']);
    expect(message).toMatch(/^alias "plain".*could not get a Google access token for .*: the token endpoint answered 400: API key not valid\. Please pass a valid API key\.$/);
    expect(message).not.toContain('[object Object]');
    expect(message).not.toContain('undefined');
  });

  it('a token_uri with user:password and a ?key=: masked wherever the library quotes it', async () => {
    const port = new URL(tokenEndpoint.url).port;
    const [withUserinfo] = await failure(`http://svc:pw-tokenuri-5e1c@127.0.0.1:${port}/token?key=qk-tokenuri-7d2a`, ['userinfo']);
    const [refused] = await failure(`http://127.0.0.1:${await deadPort()}/token?key=qk-tokenuri-7d2a&x=1`, ['refused']);
    for (const message of [withUserinfo!, refused!]) {
      expect(message).toMatch(/could not get a Google access token/);
      expect(message).not.toContain('pw-tokenuri-5e1c');
      expect(message).not.toContain('qk-tokenuri-7d2a');
    }
    expect(refused).toMatch(/ECONNREFUSED/);
  });

  it('two aliases sharing one key: each error names its own alias', async () => {
    const messages = await failure(`${tokenEndpoint.url}/token`, ['first', 'second']);
    expect(messages[0]).toMatch(/^alias "first"/);
    expect(messages[1]).toMatch(/^alias "second"/);
    expect(messages[1]).not.toContain('"first"');
  });
});
