// `llmpass call`, `models --check` and `providers` with Bedrock and Vertex deployments, the built CLI spawned as a
// user runs it: an event stream piped byte for byte or decoded on a terminal; the probes' signed calls and their
// reading of auth failures (expired token, missing permission, wrong region).
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsError, invokeStreamFrames, startFakeBedrock, type FakeBedrock } from '../fixtures/fake-bedrock.ts';
import { makeServiceAccount, startFakeOAuth, startFakeVertex, type FakeOAuth, type FakeVertex, type ServiceAccount } from '../fixtures/fake-google.ts';
import type { RecordedRequest } from '../fixtures/recording.ts';
import { sendJson } from '../fixtures/respond.ts';
import { assertBuilt, baseEnv, BIN, runCli, runShell, shellQuote, type CliResult } from '../support/cli.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';

const KEY = { accessKeyId: 'AKIDCLITEST', secretAccessKey: 'cli-aws-secret-1a2b3c4d', region: 'us-east-1', service: 'bedrock' };
const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] });

/** How the probe's empty Converse is answered, per model id: Bedrock's own errors. */
const PROBE_ANSWERS: Record<string, (res: ServerResponse) => void> = {
  'anthropic.claude-3-5-sonnet-20240620-v1:0': (res) => awsError(res, 400, 'ValidationException', 'A conversation must start with a user message.'),
  'no-access-model': (res) => awsError(res, 403, 'AccessDeniedException', 'You don\'t have access to the model with the specified model ID.'),
  'expired-model': (res) => awsError(res, 403, 'ExpiredTokenException', 'The security token included in the request is expired'),
  'other-region-model': (res) => awsError(res, 400, 'ValidationException', 'The provided model identifier is invalid.'),
};

let bedrock: FakeBedrock;
let oauth: FakeOAuth;
let vertex: FakeVertex;
let account: ServiceAccount;
let project: string;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return baseEnv({ CLI_AWS_ID: KEY.accessKeyId, CLI_AWS_SECRET: KEY.secretAccessKey, CLI_SA: JSON.stringify(account.json), AWS_EC2_METADATA_DISABLED: 'true', ...extra });
}

beforeAll(async () => {
  assertBuilt();
  bedrock = await startFakeBedrock({
    key: KEY,
    answer: (req: RecordedRequest, res) => {
      const messages = (req.json as { messages?: unknown[] } | undefined)?.messages;
      const model = decodeURIComponent(req.path.split('/')[2]!);
      if (!req.path.endsWith('/converse') || messages?.length) return false;
      (PROBE_ANSWERS[model] ?? PROBE_ANSWERS[MODEL]!)(res);
      return true;
    },
  });
  oauth = await startFakeOAuth();
  vertex = await startFakeVertex(oauth);
  account = makeServiceAccount(oauth.tokenUri, 'cli-project');
  oauth.trust(account);
  const bedrockEntry = (alias: string, model: string) => `  - model_name: ${alias}
    litellm_params:
      model: bedrock/${model}
      api_base: ${bedrock.url}
      aws_region_name: us-east-1
      aws_access_key_id: os.environ/CLI_AWS_ID
      aws_secret_access_key: os.environ/CLI_AWS_SECRET
`;
  project = tempConfig(`model_list:
${bedrockEntry('my-claude', MODEL)}${bedrockEntry('no-access', 'no-access-model')}${bedrockEntry('expired', 'expired-model')}${bedrockEntry('wrong-region', 'other-region-model')}  - model_name: my-gemini
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      api_base: ${vertex.url}
      vertex_location: us-central1
      vertex_credentials: os.environ/CLI_SA
`);
});

afterAll(async () => {
  await Promise.all([bedrock?.close(), vertex?.close(), oauth?.close()]);
  cleanupTemp();
});

function call(args: string[], more: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return runCli({ args: ['call', ...args], cwd: project, env: more.env ?? env(), ...(more.tty ? { tty: true } : {}) });
}

describe('llmpass call with Bedrock', () => {
  it('piped: the event stream byte for byte', async () => {
    const line = `${shellQuote(process.execPath)} ${shellQuote(BIN)} call my-claude converse-stream --json ${shellQuote(BODY)} | cat`;
    const result = await runShell(line, project, env());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.equals(bedrock.streamBytes)).toBe(true);
    expect(bedrock.verdicts.at(-1)!.ok).toBe(true);
  });

  it('on a terminal: the answer\'s text, assembled', async () => {
    const result = await call(['my-claude', 'converse-stream', '--json', BODY], { tty: true, env: env({ NO_COLOR: '1' }) });
    expect(result.code).toBe(0);
    expect(result.stdout.toString('utf8')).toMatch(/^Hello from Bedrock\n/);
  });

  it('on a terminal with --events: each event decoded and shown as it arrives', async () => {
    const result = await call(['my-claude', 'converse-stream', '--json', BODY, '--events'], { tty: true, env: env({ NO_COLOR: '1' }) });
    const out = result.stdout.toString('utf8');
    expect(result.code, out).toBe(0);
    expect(out).toContain('event: messageStart {"role":"assistant","p":"abc"}');
    expect(out.match(/event: contentBlockDelta .*"text":"(Hello |from |Bedrock)"/g)).toHaveLength(3);
    expect(out).toContain('event: metadata');
  });

  it('on a terminal: an invoke stream\'s text, from the model\'s own events inside its base64 chunks', async () => {
    const result = await call(['my-claude', 'invoke-with-response-stream', '--json', '{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[]}'], {
      tty: true,
      env: env({ NO_COLOR: '1' }),
    });
    expect(result.code).toBe(0);
    expect(result.stdout.toString('utf8')).toMatch(/^Hi\n/);
  });

  it('on a terminal with --events: an invoke stream\'s base64 chunks opened up', async () => {
    const result = await call(['my-claude', 'invoke-with-response-stream', '--events', '--json', '{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[]}'], {
      tty: true,
      env: env({ NO_COLOR: '1' }),
    });
    const out = result.stdout.toString('utf8');
    expect(result.code, out).toBe(0);
    expect(out).toContain('event: chunk {"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}');
    expect(invokeStreamFrames()).toHaveLength(3);
  });

  it('converse answers JSON; --verbose shows the request without a credential', async () => {
    const result = await call(['my-claude', 'converse', '--json', BODY, '--verbose']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.toString('utf8'))).toMatchObject({ stopReason: 'end_turn' });
    expect(result.stderr).toContain('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(result.stderr).toContain('authorization: <AWS SigV4, computed when sent>');
    expect(result.stderr).not.toContain(KEY.secretAccessKey);
  });

  it('Vertex: generateContent from the short form', async () => {
    const result = await call(['my-gemini', 'generateContent', '--json', '{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString('utf8')).toContain('Hello from Vertex');
    expect(vertex.requests.at(-1)!.path).toBe('/v1/projects/cli-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent');
  });
});

describe('llmpass models --check with Bedrock and Vertex', () => {
  interface Report {
    results: Array<{ alias: string; status: string; reason: string }>;
  }

  it('a signed call per deployment; auth failures in words', async () => {
    const result = await runCli({ args: ['models', '--check', '--json'], cwd: project, env: env() });
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout.toString('utf8')) as Report;
    const by = new Map(report.results.map((r) => [r.alias, r]));
    expect(by.get('my-claude')).toMatchObject({ status: 'pass', reason: expect.stringMatching(/POST \/model\/.*\/converse: signed call accepted in us-east-1/) });
    expect(by.get('no-access')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/403 AccessDeniedException: missing permission: these credentials may not invoke "no-access-model" in us-east-1/) });
    expect(by.get('expired')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/403 ExpiredTokenException: the AWS session token has expired/) });
    expect(by.get('wrong-region')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/model "other-region-model" not found in us-east-1; check aws_region_name/) });
    expect(by.get('my-gemini')).toMatchObject({ status: 'pass', reason: expect.stringMatching(/:countTokens: 200: signed call answered/) });
    const all = `${result.stdout.toString('utf8')}${result.stderr}`;
    expect(all).not.toContain(KEY.secretAccessKey);
    expect(all).not.toContain('PRIVATE KEY');
  });

  it('Vertex\'s 403 PERMISSION_DENIED reads as a missing permission', async () => {
    const denying = await startFakeVertexDenying();
    try {
      const dir = tempConfig(`model_list:
  - model_name: denied
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      api_base: ${denying.url}
      vertex_project: cli-project
      api_key: os.environ/GIVEN_TOKEN
`);
      const result = await runCli({ args: ['models', '--check', '--json'], cwd: dir, env: env({ GIVEN_TOKEN: 'ya29.by-hand' }) });
      const report = JSON.parse(result.stdout.toString('utf8')) as Report;
      expect(report.results[0]).toMatchObject({ status: 'fail', reason: expect.stringMatching(/403 PERMISSION_DENIED: missing permission: these credentials may not call "gemini-2.0-flash" in project "cli-project"/) });
      expect(result.stdout.toString('utf8')).not.toContain('ya29.by-hand');
    } finally {
      await denying.close();
    }
  });
});

async function startFakeVertexDenying() {
  const { startRecordingServer } = await import('../fixtures/recording.ts');
  return startRecordingServer((_req, res) =>
    sendJson(res, 403, { error: { code: 403, message: "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).", status: 'PERMISSION_DENIED' } }),
  );
}

describe('llmpass providers', () => {
  it('lists Bedrock and Vertex AI with their auth schemes and credential variables', async () => {
    const result = await runCli({ args: ['providers', '--json'], cwd: project, env: env({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' }) });
    expect(result.code, result.stderr).toBe(0);
    const providers = JSON.parse(result.stdout.toString('utf8')) as Array<Record<string, unknown>>;
    expect(providers.find((p) => p.id === 'bedrock')).toMatchObject({ auth: 'AWS SigV4', authKind: 'signed', routePrefix: '/bedrock', keySet: true, keyVariableSet: 'AWS_ACCESS_KEY_ID' });
    expect(providers.find((p) => p.id === 'vertex_ai')).toMatchObject({ auth: 'Google OAuth2', aliases: ['vertex-ai'], routePrefix: '/vertex_ai', keyVariables: ['VERTEXAI_CREDENTIALS', 'DEFAULT_GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS'] });
  });
});
