// Bedrock through the library (the same request building and sending as `call` and the proxy) against a loopback
// Bedrock that recomputes every SigV4 signature: credentials from litellm_params, the environment, a profile and a
// credential_process (refreshed before it expires); the body signed as sent; a client's own SigV4 headers dropped.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { configFromObject } from '../../src/config/load.ts';
import { CredentialsError } from '../../src/errors.ts';
import { Router } from '../../src/router/router.ts';
import { awsError, EVENT_STREAM, startFakeBedrock, type FakeBedrock } from '../fixtures/fake-bedrock.ts';
import { tempDir } from '../support/tmp.ts';

const KEY = { accessKeyId: 'AKIDLLMPASSTEST', secretAccessKey: 'bedrock-test-secret-0f9e8d7c', region: 'us-east-1', service: 'bedrock' };
const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

let fake: FakeBedrock;
let tokenFake: FakeBedrock;

beforeAll(async () => {
  fake = await startFakeBedrock({ key: KEY });
  tokenFake = await startFakeBedrock({ key: { ...KEY, accessKeyId: 'ASIATEMPORARY', secretAccessKey: 'temporary-secret-77', sessionToken: 'session-token-abc' } });
});

afterAll(async () => {
  await fake?.close();
  await tokenFake?.close();
});

afterEach(() => {
  vi.useRealTimers();
});

function router(params: Record<string, unknown>, env: Record<string, string> = {}, model = `bedrock/${MODEL}`): Router {
  const config = configFromObject({ model_list: [{ model_name: 'my-claude', litellm_params: { model, ...params } }] }, undefined, env);
  return new Router({ config, numRetries: 0 });
}

const CONVERSE = { messages: [{ role: 'user', content: [{ text: 'Hello' }] }] };

describe('Bedrock: signed requests the service accepts', () => {
  it('converse with keys from litellm_params (os.environ/...), the model id encoded once in the path', async () => {
    const before = fake.requests.length;
    const res = await router(
      { api_base: fake.url, aws_region_name: 'us-east-1', aws_access_key_id: 'os.environ/MY_AWS_ID', aws_secret_access_key: 'os.environ/MY_AWS_SECRET' },
      { MY_AWS_ID: KEY.accessKeyId, MY_AWS_SECRET: KEY.secretAccessKey },
    ).passthrough({ model: 'my-claude', endpoint: 'converse', json: CONVERSE });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ output: { message: { content: [{ text: 'Hello from Bedrock' }] } } });
    const req = fake.requests[before]!;
    expect(req.url).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(fake.models.at(-1)).toBe(MODEL);
    expect(req.json).toEqual(CONVERSE);
    expect(req.headers['x-amz-security-token']).toBeUndefined();
  });

  it('credentials from the AWS variables, with a session token; the region from AWS_REGION', async () => {
    const res = await router({ api_base: tokenFake.url }, { AWS_ACCESS_KEY_ID: 'ASIATEMPORARY', AWS_SECRET_ACCESS_KEY: 'temporary-secret-77', AWS_SESSION_TOKEN: 'session-token-abc', AWS_REGION: 'us-east-1' }).passthrough({
      model: 'my-claude',
      endpoint: 'converse',
      json: CONVERSE,
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
    expect(tokenFake.verdicts.at(-1)).toEqual({ url: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse', ok: true });
  });

  it('an ARN as the model: one %2F-encoded segment, signed double-encoded', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3';
    const res = await router({ api_base: fake.url, aws_access_key_id: KEY.accessKeyId, aws_secret_access_key: KEY.secretAccessKey }, {}, `bedrock/${arn}`).passthrough({
      model: 'my-claude',
      endpoint: 'invoke',
      json: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [] },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
    expect(fake.requests.at(-1)!.url).toBe('/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3/invoke');
    expect(fake.models.at(-1)).toBe(arn);
  });

  it('a streamed request body is read whole and its hash signed (Bedrock takes no UNSIGNED-PAYLOAD)', async () => {
    const pieces = [Buffer.from('{"messages":[{"role":"user",'), Buffer.from('"content":[{"text":"streamed"}]}]}')];
    const res = await router({ api_base: fake.url, aws_region_name: 'us-east-1', aws_access_key_id: KEY.accessKeyId, aws_secret_access_key: KEY.secretAccessKey }).passthrough({
      model: 'my-claude',
      endpoint: 'converse',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(pieces),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
    const req = fake.requests.at(-1)!;
    expect(req.body.toString()).toBe(Buffer.concat(pieces).toString());
    expect(req.headers['content-length']).toBe(String(Buffer.concat(pieces).length));
  });

  it('a caller\'s own Authorization and x-amz-* headers are replaced, other headers signed as sent', async () => {
    const res = await router({ api_base: fake.url, aws_region_name: 'us-east-1', aws_access_key_id: KEY.accessKeyId, aws_secret_access_key: KEY.secretAccessKey }).passthrough({
      model: 'my-claude',
      endpoint: 'converse',
      json: CONVERSE,
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=CLIENT/x', 'x-amz-date': '20000101T000000Z', 'x-amz-security-token': 'client-token', 'x-custom': '  spaced   value ' },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
    const req = fake.requests.at(-1)!;
    expect(req.headers['x-amz-security-token']).toBeUndefined();
    expect(String(req.headers.authorization)).toContain('Credential=AKIDLLMPASSTEST/');
    expect(String(req.headers.authorization)).toContain('x-custom');
  });

  it('an event-stream answer reaches the library byte for byte', async () => {
    const res = await router({ api_base: fake.url, aws_region_name: 'us-east-1', aws_access_key_id: KEY.accessKeyId, aws_secret_access_key: KEY.secretAccessKey }).passthrough({
      model: 'my-claude',
      endpoint: 'converse-stream',
      json: CONVERSE,
    });
    expect(res.headers.get('content-type')).toBe(EVENT_STREAM);
    expect(Buffer.from(await res.arrayBuffer()).equals(fake.streamBytes)).toBe(true);
  });

  it('a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) goes as a Bearer token instead of a signature', async () => {
    const before = fake.requests.length;
    const res = await router({ api_base: fake.url }, { AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key-123' }).passthrough({ model: 'my-claude', endpoint: 'converse', json: CONVERSE });
    // The fake only knows SigV4: the 403 shows what was sent.
    expect(res.status).toBe(403);
    await res.arrayBuffer();
    expect(fake.requests[before]!.headers.authorization).toBe('Bearer bedrock-api-key-123');
  });

  it('a wrong secret is refused by the service (403 InvalidSignatureException passes through)', async () => {
    const res = await router({ api_base: fake.url, aws_region_name: 'us-east-1', aws_access_key_id: KEY.accessKeyId, aws_secret_access_key: 'not-the-secret' }).passthrough({
      model: 'my-claude',
      endpoint: 'converse',
      json: CONVERSE,
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^InvalidSignatureException/);
    await res.arrayBuffer();
  });

  it('a signature for another region is refused: the region is part of what is signed', async () => {
    const res = await router({ api_base: fake.url, aws_region_name: 'eu-west-1', aws_access_key_id: KEY.accessKeyId, aws_secret_access_key: KEY.secretAccessKey }).passthrough({
      model: 'my-claude',
      endpoint: 'converse',
      json: CONVERSE,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('signed for region eu-west-1');
  });

  it('a retried attempt is signed afresh', async () => {
    let calls = 0;
    const flaky = await startFakeBedrock({
      key: KEY,
      answer: (_req, res) => {
        if (calls++ > 0) return false;
        awsError(res, 503, 'ServiceUnavailableException', 'try again');
        return true;
      },
    });
    try {
      const config = configFromObject({ model_list: [{ model_name: 'c', litellm_params: { model: `bedrock/${MODEL}`, api_base: flaky.url, aws_region_name: 'us-east-1', aws_access_key_id: KEY.accessKeyId, aws_secret_access_key: KEY.secretAccessKey } }] }, undefined, {});
      const res = await new Router({ config, numRetries: 1, maxBackoffMs: 10 }).passthrough({ model: 'c', endpoint: 'converse', json: CONVERSE });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(flaky.verdicts.map((v) => v.ok)).toEqual([true, true]);
    } finally {
      await flaky.close();
    }
  });
});

describe('Bedrock: the AWS default credential chain', () => {
  const saved: Record<string, string | undefined> = {};
  const set = (name: string, value: string | undefined) => {
    if (!(name in saved)) saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  function isolate(dir: string) {
    // Only files of our own; never the instance metadata service (off this machine).
    set('AWS_EC2_METADATA_DISABLED', 'true');
    set('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
    set('AWS_CONFIG_FILE', join(dir, 'config'));
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) set(name, undefined);
  }

  it('a named profile from the shared credentials file (aws_profile_name)', async () => {
    const dir = tempDir('llmpass-aws-');
    isolate(dir);
    writeFileSync(join(dir, 'credentials'), `[llmpass-test]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${KEY.secretAccessKey}\n`);
    writeFileSync(join(dir, 'config'), '');
    const res = await router({ api_base: fake.url, aws_region_name: 'us-east-1', aws_profile_name: 'llmpass-test' }).passthrough({ model: 'my-claude', endpoint: 'converse', json: CONVERSE });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
  });

  it('temporary credentials are fetched once for a burst, and again before they expire', async () => {
    const dir = tempDir('llmpass-aws-');
    isolate(dir);
    const count = join(dir, 'count');
    writeFileSync(count, '');
    const script = join(dir, 'creds.sh');
    // credential_process: expiring credentials, and a mark per run.
    writeFileSync(
      script,
      `#!/bin/sh\necho x >> '${count}'\nexp=$(date -u -d "@$(( $(date +%s) + 3600 ))" +%Y-%m-%dT%H:%M:%SZ)\nprintf '{"Version":1,"AccessKeyId":"ASIATEMPORARY","SecretAccessKey":"temporary-secret-77","SessionToken":"session-token-abc","Expiration":"%s"}' "$exp"\n`,
    );
    chmodSync(script, 0o755);
    writeFileSync(join(dir, 'config'), `[profile llmpass-process]\ncredential_process = ${script}\n`);
    writeFileSync(join(dir, 'credentials'), '');
    const r = router({ api_base: tokenFake.url, aws_region_name: 'us-east-1', aws_profile_name: 'llmpass-process' });
    const answers = await Promise.all(Array.from({ length: 5 }, () => r.passthrough({ model: 'my-claude', endpoint: 'converse', json: CONVERSE })));
    for (const res of answers) {
      expect(res.status, await res.clone().text()).toBe(200);
      await res.arrayBuffer();
    }
    expect(readFileSync(count, 'utf8').trim().split('\n')).toHaveLength(1);
    // 56 minutes on: inside the 5-minute margin before the hour runs out, so the credentials are fetched anew.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 56 * 60_000);
    const later = await r.passthrough({ model: 'my-claude', endpoint: 'converse', json: CONVERSE });
    await later.arrayBuffer();
    expect(readFileSync(count, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('no credentials anywhere: one error naming every way to give them', async () => {
    const dir = tempDir('llmpass-aws-');
    isolate(dir);
    writeFileSync(join(dir, 'credentials'), '');
    writeFileSync(join(dir, 'config'), '');
    const error = await router({ api_base: fake.url, aws_profile_name: 'nobody' })
      .passthrough({ model: 'my-claude', endpoint: 'converse', json: CONVERSE })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(/alias "my-claude".*no AWS credentials: set aws_access_key_id and aws_secret_access_key/);
  });
});
