// Secret canaries for the signed providers: an AWS secret access key and session token, a service account's private
// key and the tokens issued for it. After calls that succeed and calls that fail (a refused signature, missing
// credentials, a refused key, unparsable credentials), none may appear in anything the CLI or the proxy prints,
// answers or logs. The key is given in every form CI secret stores hold it (a path, JSON, base64 JSON, JSON inside a
// JSON string), in the config and in VERTEXAI_CREDENTIALS / GOOGLE_APPLICATION_CREDENTIALS; each works, and a form
// that cannot be used is named by its setting, never quoted.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** The key as each encoded form carries it: a piece of its base64 text shows no PEM, but is the key all the same. */
function encodedCanaries(): string[] {
  return Object.values(forms()).filter((text) => !text.trimStart().startsWith('{') && !text.startsWith('"') && !text.startsWith('/')).map((text) => text.slice(40, 100));
}

function allCanaries(): string[] {
  return [AWS.secretAccessKey, AWS.sessionToken, ...keyCanaries(), ...encodedCanaries(), ...oauth.issued];
}

/** The service account's key in each form it is stored in, and broken forms of the same. */
function forms(): Record<string, string> {
  const json = JSON.stringify(account.json);
  const pretty = JSON.stringify(account.json, null, 2);
  return {
    KEY_PATH: keyFile,
    KEY_BASE64: Buffer.from(pretty).toString('base64'),
    KEY_BASE64URL: Buffer.from(json).toString('base64url'),
    KEY_DOUBLE: JSON.stringify(json),
    KEY_BASE64_DOUBLE: Buffer.from(JSON.stringify(json)).toString('base64'),
    BROKEN_BASE64: Buffer.from(json.slice(0, -40)).toString('base64'),
    // only the PEM of the key pasted: no form fits, and it is taken for a path that does not exist
    NOT_A_KEY: account.json.private_key!,
  };
}

let keyFile: string;

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
    ...forms(),
    // what vertex-from-env uses unless a run sets another: never Application Default Credentials (a metadata server)
    GOOGLE_APPLICATION_CREDENTIALS: keyFile,
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
  keyFile = join(tempConfig('model_list: []\n'), 'sa.json');
  writeFileSync(keyFile, JSON.stringify(account.json));
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
${aws('bedrock-good', 'os.environ/AWS_SECRET')}${aws('bedrock-wrong', 'not-the-secret-0000')}${google('vertex-good', 'os.environ/SA_JSON')}${google('vertex-refused', 'os.environ/STRANGER_JSON')}${google('vertex-broken', 'os.environ/BROKEN_JSON')}${Object.keys(forms())
    .map((name) => google(`vertex-${name.toLowerCase()}`, `os.environ/${name}`))
    .join('')}  - model_name: vertex-from-env
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      api_base: ${vertex.url}
      vertex_project: canary-project
  - model_name: bedrock-none
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
    // every stored form works, from the config and from each variable; a broken one names its setting
    for (const name of ['KEY_PATH', 'KEY_BASE64', 'KEY_BASE64URL', 'KEY_DOUBLE', 'KEY_BASE64_DOUBLE']) {
      expect(await code(run(['call', `vertex-${name.toLowerCase()}`, 'generateContent', ...ask, '--verbose', '--include'])), name).toMatch(/^0(:|$)/);
    }
    for (const variable of ['VERTEXAI_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS']) {
      for (const name of ['KEY_PATH', 'KEY_BASE64', 'KEY_DOUBLE']) {
        const result = keep(await runCli({ args: ['call', 'vertex-from-env', 'generateContent', ...ask, '--verbose'], cwd: project, env: env({ [variable]: forms()[name]! }) }));
        expect(result.code, `${variable}=${name}: ${result.stderr}`).toBe(0);
      }
      const broken = keep(await runCli({ args: ['call', 'vertex-from-env', 'generateContent', ...ask, '--debug'], cwd: project, env: env({ [variable]: forms().NOT_A_KEY! }) }));
      expect(broken.stderr).toMatch(new RegExp(`${variable} is not a Google key \\(JSON, base64 JSON\\) and not a readable file \\(E[A-Z]+\\)\n`));
      expect(broken.code).toBe(2);
    }
    const brokenBase64 = await run(['call', 'vertex-broken_base64', 'generateContent', ...ask]);
    expect(brokenBase64.stderr).toContain('the Google credentials in litellm_params.vertex_credentials are not valid JSON');
    const notAKey = await run(['call', 'vertex-not_a_key', 'generateContent', ...ask]);
    expect(notAKey.stderr).toContain('litellm_params.vertex_credentials is not a Google key (JSON, base64 JSON) and not a readable file');
    await run(['models', '--check', '--json']);
    await run(['models', '--check', '--junit', join(project, 'report.xml')]);
    outputs.push(readFileSync(join(project, 'report.xml'), 'utf8'));
    await run(['models', '--json']);
    await run(['models']);
    expect(outputs.join('\n')).toContain('could not get a Google access token');
    expect(outputs.join('\n')).toContain('are not valid JSON');
    expect(oauth.issued.length).toBeGreaterThan(0);
    // ~25 CLI runs one after another: a deadline for a loaded machine, not a speed goal
  }, 120_000);

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
      ...(await Promise.all(Object.keys(forms()).map((name) => post(`/vertex_ai/v1/projects/p/locations/us-central1/publishers/google/models/vertex-${name.toLowerCase()}:generateContent`, ask)))),
      await http(`${proxy.url}/health/readiness?probe=1`, { headers: { 'x-llmpass-api-key': MASTER } }),
    ];
    // the five forms that hold a key answer 200; the two broken ones are the proxy's setup error (500)
    expect(answers.map((a) => a.status), answers.map((a) => a.text.slice(0, 300)).join('\n')).toEqual([200, 403, 502, 401, 200, 502, 500, 200, 200, 200, 200, 200, 500, 500, 503]);
    expect(answers.at(-1)!.text).toContain('vertex_credentials');
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
