// The proxy's /bedrock and /vertex_ai routes as clients use them: the official AWS SDK pointed at the proxy (with a
// middleware adding x-llmpass-api-key) for Converse and ConverseStream, raw HTTP carrying a client's own SigV4 or
// Google token (dropped; the proxy signs with its own credentials), event streams relayed byte for byte.
import { ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_STREAM, startFakeBedrock, type FakeBedrock } from '../fixtures/fake-bedrock.ts';
import { makeServiceAccount, startFakeOAuth, startFakeVertex, type FakeOAuth, type FakeVertex, type ServiceAccount } from '../fixtures/fake-google.ts';
import { proxiedBedrockClient } from '../support/bedrock-client.ts';
import { assertBuilt } from '../support/cli.ts';
import { http, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER = 'proxy-master-key-cloud-1234';
const KEY = { accessKeyId: 'AKIDPROXYTEST', secretAccessKey: 'proxy-aws-secret-5e6f7a8b', region: 'us-east-1', service: 'bedrock' };
const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

let bedrock: FakeBedrock;
let oauth: FakeOAuth;
let vertex: FakeVertex;
let account: ServiceAccount;
let proxy: ProxyCli;

beforeAll(async () => {
  assertBuilt();
  bedrock = await startFakeBedrock({ key: KEY });
  oauth = await startFakeOAuth();
  vertex = await startFakeVertex(oauth);
  account = makeServiceAccount(oauth.tokenUri, 'proxy-project');
  oauth.trust(account);
  proxy = await startProxyCli({
    config: `model_list:
  - model_name: my-claude
    litellm_params:
      model: bedrock/${MODEL}
      api_base: ${bedrock.url}
      aws_region_name: us-east-1
      aws_access_key_id: os.environ/PROXY_AWS_ID
      aws_secret_access_key: os.environ/PROXY_AWS_SECRET
  - model_name: my-gemini
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      api_base: ${vertex.url}
      vertex_project: proxy-project
      vertex_location: us-central1
      vertex_credentials: os.environ/PROXY_SA
general_settings:
  master_key: os.environ/MASTER
`,
    env: {
      MASTER,
      PROXY_AWS_ID: KEY.accessKeyId,
      PROXY_AWS_SECRET: KEY.secretAccessKey,
      PROXY_SA: JSON.stringify(account.json),
      // The routes' own deployments (no alias): the AWS variables, and Vertex's base and credentials.
      AWS_BEDROCK_RUNTIME_ENDPOINT: bedrock.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      VERTEXAI_API_BASE: vertex.url,
      VERTEXAI_CREDENTIALS: JSON.stringify(account.json),
    },
  });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([bedrock?.close(), vertex?.close(), oauth?.close()]);
  cleanupTemp();
});

const awsClient = () => proxiedBedrockClient(proxy.url, MASTER);

describe('proxy /bedrock', () => {
  it('the AWS SDK: Converse with an alias as the model id, re-signed by the proxy', async () => {
    const before = bedrock.requests.length;
    const answer = await awsClient().send(new ConverseCommand({ modelId: 'my-claude', messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }));
    expect(answer.output?.message?.content?.[0]?.text).toBe('Hello from Bedrock');
    const req = bedrock.requests[before]!;
    expect(req.url).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(bedrock.verdicts.at(-1)!.ok).toBe(true);
    expect(String(req.headers.authorization)).toContain(`Credential=${KEY.accessKeyId}/`);
    expect(req.headers['x-amz-security-token']).toBeUndefined();
    expect(req.headers['x-llmpass-api-key']).toBeUndefined();
  });

  it('the AWS SDK: ConverseStream, decoded by the SDK from the relayed event stream', async () => {
    const answer = await awsClient().send(new ConverseStreamCommand({ modelId: 'my-claude', messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }));
    let text = '';
    const kinds: string[] = [];
    for await (const event of answer.stream!) {
      kinds.push(Object.keys(event)[0]!);
      text += event.contentBlockDelta?.delta?.text ?? '';
    }
    expect(text).toBe('Hello from Bedrock');
    expect(kinds).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
  });

  it('the AWS SDK with a model id (no alias): the route\'s deployment from the AWS variables', async () => {
    const answer = await awsClient().send(new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }));
    expect(answer.stopReason).toBe('end_turn');
    // The SDK encoded the `:` itself; the proxy kept its encoding and signed the path as sent.
    expect(bedrock.requests.at(-1)!.url).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(bedrock.verdicts.at(-1)!.ok).toBe(true);
  });

  it('an event stream arrives byte for byte; the client\'s SigV4 headers never reach Bedrock', async () => {
    const answer = await http(`${proxy.url}/bedrock/model/my-claude/converse-stream`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-llmpass-api-key': MASTER,
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDCLIENTSIDE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00',
        'x-amz-date': '20250101T000000Z',
        'x-amz-security-token': 'client-session-token',
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }),
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers['content-type']).toBe(EVENT_STREAM);
    expect(answer.body.equals(bedrock.streamBytes)).toBe(true);
    const seen = bedrock.requests.at(-1)!.rawHeaders.join('\n');
    for (const client of ['AKIDCLIENTSIDE', 'client-session-token', '20250101T000000Z', 'UNSIGNED-PAYLOAD', MASTER]) expect(seen).not.toContain(client);
  });

  it('without the master key: 401 and nothing sent upstream', async () => {
    const before = bedrock.requests.length;
    const answer = await http(`${proxy.url}/bedrock/model/my-claude/converse`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(answer.status).toBe(401);
    expect(bedrock.requests.length).toBe(before);
  });
});

describe('proxy /vertex_ai', () => {
  const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] });

  it('LiteLLM\'s path with an alias in the model\'s place; the client\'s token dropped, the proxy\'s sent', async () => {
    const answer = await http(`${proxy.url}/vertex_ai/v1/projects/any/locations/us-central1/publishers/google/models/my-gemini:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-llmpass-api-key': MASTER, authorization: 'Bearer ya29.client-own-token' },
      body,
    });
    expect(answer.status, answer.text).toBe(200);
    const req = vertex.requests.at(-1)!;
    expect(req.path).toBe('/v1/projects/proxy-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent');
    expect(oauth.issued).toContain(String(req.headers.authorization).replace('Bearer ', ''));
    expect(req.rawHeaders.join('\n')).not.toContain('client-own-token');
  });

  it('/vertex-ai with a model name (no alias): streamed SSE from the route\'s own credentials', async () => {
    const answer = await http(`${proxy.url}/vertex-ai/v1/projects/proxy-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}` },
      body,
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(answer.text).toContain('Vertex');
    expect(vertex.requests.at(-1)!.headers.authorization).not.toBe(`Bearer ${MASTER}`);
  });
});
