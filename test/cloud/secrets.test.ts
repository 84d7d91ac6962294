// Secret canaries for the signed providers: an AWS secret access key and session token, a service account's private
// key and the tokens issued for it. After calls that succeed and calls that fail (a refused signature, missing
// credentials, a refused key, unparsable credentials), none may appear in anything the CLI or the proxy prints,
// answers or logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBedrock, type FakeBedrock } from '../fixtures/fake-bedrock.ts';
import { makeServiceAccount, startFakeOAuth, startFakeVertex, type FakeOAuth, type FakeVertex, type ServiceAccount } from '../fixtures/fake-google.ts';
import { assertBuilt, baseEnv, runCli, type CliResult } from '../support/cli.ts';
import { http, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp, tempConfig } from '../support/tmp.ts';
import { expectNoSecret } from '../support/secrets.ts';

const AWS = { accessKeyId: 'AKIDCANARYTEST', secretAccessKey: 'canary-AWS-SECRET-9c8b7a6f5e4d', sessionToken: 'canary-AWS-SESSION-1f2e3d4c5b6a', region: 'us-east-1', service: 'bedrock' };
const MASTER = 'canary-MASTER-cloud-0a1b2c3d';

let bedrock: FakeBedrock;
let oauth: FakeOAuth;
let vertex: FakeVertex;
let account: ServiceAccount;
let stranger: ServiceAccount;
let project: string;
let proxy: ProxyCli;
const outputs: string[] = [];

/** Pieces of the private keys that no output may hold (the PEM body, not its well-known header). */
function keyCanaries(): string[] {
  return [account, stranger].flatMap((sa) => {
    const body = sa.json.private_key!.split('\n').slice(1, -2).join('');
    return [body.slice(0, 48), body.slice(400, 448), body.slice(-48)];
  });
}

function allCanaries(): string[] {
  return [AWS.secretAccessKey, AWS.sessionToken, ...keyCanaries(), ...oauth.issued];
}

function keep(result: CliResult): CliResult {
  outputs.push(result.stdout.toString('utf8'), result.stderr);
  return result;
}

const env = (extra: Record<string, string> = {}) =>
  baseEnv({
    AWS_ID: AWS.accessKeyId,
    AWS_SECRET: AWS.secretAccessKey,
    AWS_TOKEN: AWS.sessionToken,
    SA_JSON: JSON.stringify(account.json),
    STRANGER_JSON: JSON.stringify(stranger.json),
    BROKEN_JSON: `${JSON.stringify(account.json).slice(0, -40)}`,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  });

beforeAll(async () => {
  assertBuilt();
  bedrock = await startFakeBedrock({ key: AWS });
  oauth = await startFakeOAuth();
  vertex = await startFakeVertex(oauth);
  account = makeServiceAccount(oauth.tokenUri, 'canary-project');
  stranger = makeServiceAccount(oauth.tokenUri, 'stranger-project');
  oauth.trust(account);
  const aws = (alias: string, secret: string) => `  - model_name: ${alias}
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      api_base: ${bedrock.url}
      aws_region_name: us-east-1
      aws_access_key_id: os.environ/AWS_ID
      aws_secret_access_key: ${secret}
      aws_session_token: os.environ/AWS_TOKEN
`;
  const google = (alias: string, credentials: string) => `  - model_name: ${alias}
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      api_base: ${vertex.url}
      vertex_project: canary-project
      vertex_credentials: ${credentials}
`;
  const config = `model_list:
${aws('bedrock-good', 'os.environ/AWS_SECRET')}${aws('bedrock-wrong', 'not-the-secret-0000')}${google('vertex-good', 'os.environ/SA_JSON')}${google('vertex-refused', 'os.environ/STRANGER_JSON')}${google('vertex-broken', 'os.environ/BROKEN_JSON')}  - model_name: bedrock-none
    litellm_params:
      model: bedrock/x
      api_base: ${bedrock.url}
      aws_profile_name: no-such-profile
general_settings:
  master_key: ${MASTER}
`;
  project = tempConfig(config);
  proxy = await startProxyCli({ config, env: env() as Record<string, string>, args: ['--timeout', '5'] });
});

afterAll(async () => {
  await stopAllProxies();
  await Promise.all([bedrock?.close(), vertex?.close(), oauth?.close()]);
  cleanupTemp();
});

describe('secret canaries: AWS keys and service-account keys', () => {
  it('the CLI prints none of them, whatever happens', async () => {
    const converse = ['--json', '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}'];
    const ask = ['--json', '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}'];
    const run = (args: string[]) => runCli({ args, cwd: project, env: env({ DEBUG: 'llmpass' }) }).then(keep);
    const code = async (result: Promise<CliResult>) => {
      const done = await result;
      return `${done.code}${done.code === 0 || done.code === 4 ? '' : `: ${done.stderr.split('\n')[0]}`}`;
    };
    expect(await code(run(['call', 'bedrock-good', 'converse', ...converse, '--verbose', '--include']))).toMatch(/^0(:|$)/);
    expect(await code(run(['call', 'bedrock-wrong', 'converse', ...converse, '--verbose', '--include']))).toMatch(/^4(:|$)/);
    expect(await code(run(['call', 'bedrock-good', 'converse', ...converse, '--dry-run']))).toMatch(/^0(:|$)/);
    expect(await code(run(['call', 'bedrock-good', 'converse', ...converse, '--curl']))).toMatch(/^0(:|$)/);
    expect(await code(run(['call', 'bedrock-none', 'converse', ...converse, '--debug']))).toMatch(/^2(:|$)/);
    expect(await code(run(['call', 'vertex-good', 'generateContent', ...ask, '--verbose', '--include']))).toMatch(/^0(:|$)/);
    expect(await code(run(['call', 'vertex-refused', 'generateContent', ...ask, '--debug']))).toMatch(/^2(:|$)/);
    expect(await code(run(['call', 'vertex-broken', 'generateContent', ...ask, '--debug']))).toMatch(/^2(:|$)/);
    await run(['models', '--check', '--json']);
    await run(['models', '--check']);
    await run(['models', '--json']);
    expect(outputs.join('\n')).toContain('could not get a Google access token');
    expect(outputs.join('\n')).toContain('are not valid JSON');
    expect(oauth.issued.length).toBeGreaterThan(0);
  });

  it('the proxy answers and logs none of them', async () => {
    const post = (path: string, body: unknown, key = MASTER) =>
      http(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llmpass-api-key': key }, body: JSON.stringify(body) });
    const converse = { messages: [{ role: 'user', content: [{ text: 'hi' }] }] };
    const ask = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
    const answers = [
      await post('/bedrock/model/bedrock-good/converse', converse),
      await post('/bedrock/model/bedrock-wrong/converse', converse),
      await post('/bedrock/model/bedrock-none/converse', converse),
      await post('/bedrock/model/bedrock-good/converse', converse, 'wrong-master'),
      await post('/vertex_ai/v1/projects/p/locations/us-central1/publishers/google/models/vertex-good:generateContent', ask),
      await post('/vertex_ai/v1/projects/p/locations/us-central1/publishers/google/models/vertex-refused:generateContent', ask),
      await post('/vertex_ai/v1/projects/p/locations/us-central1/publishers/google/models/vertex-broken:generateContent', ask),
    ];
    expect(answers.map((a) => a.status), answers.map((a) => a.text.slice(0, 300)).join('\n')).toEqual([200, 403, 502, 401, 200, 502, 500]);
    const metrics = await http(`${proxy.url}/metrics`);
    await proxy.waitForRequests(7);
    const everything = [...answers.map((a) => `${a.rawHeaders.join('\n')}\n${a.text}`), metrics.text, proxy.stdout, proxy.stderr].join('\n');
    expectNoSecret(everything, allCanaries(), 'proxy output');
    expect(everything).not.toContain('PRIVATE KEY');
  });

  it('nothing the CLI printed holds a canary', () => {
    const everything = outputs.join('\n');
    expectNoSecret(everything, allCanaries(), 'CLI output');
    expect(everything).not.toContain('PRIVATE KEY');
  });
});
