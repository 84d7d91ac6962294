// SigV4 against AWS's published test vectors: the signer llmpass uses (smithy's, through sigV4Headers) and the
// independent verifier the fake Bedrock uses must both reproduce the suite's signatures. Then the one rule the suite
// does not cover and Bedrock depends on: a model id's `%3A` on the wire is `%253A` in the canonical URI.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/load.ts';
import { sigV4Headers } from '../../src/providers/signing/sigv4.ts';
import { Router } from '../../src/router/router.ts';
import { Secret } from '../../src/secret.ts';
import { joinEndpoint } from '../../src/transport/url.ts';
import { awsUriEncode, canonicalUri, verifySigV4 } from '../fixtures/sigv4-verify.ts';

interface VectorCase {
  name: string;
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string;
  sessionToken?: string;
  signBody?: boolean;
  signedHeaders: string;
  signature: string;
}

const suite = JSON.parse(readFileSync(new URL('../fixtures/sigv4-vectors.json', import.meta.url), 'utf8')) as {
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  service: string;
  signingDate: string;
  cases: VectorCase[];
};
const signingDate = new Date(suite.signingDate);

function sign(vector: VectorCase): Promise<Array<[string, string]>> {
  return sigV4Headers(
    { method: vector.method, url: new URL(vector.url), headers: vector.headers.map(([name, value]) => [name, value]), body: vector.body === undefined ? undefined : Buffer.from(vector.body) },
    {
      credentials: {
        accessKeyId: suite.credentials.accessKeyId,
        secretAccessKey: new Secret(suite.credentials.secretAccessKey),
        sessionToken: vector.sessionToken ? new Secret(vector.sessionToken) : undefined,
      },
      region: suite.region,
      service: suite.service,
      signingDate,
      payloadHashHeader: vector.signBody ?? false,
    },
  );
}

describe('SigV4: the AWS test suite', () => {
  for (const vector of suite.cases) {
    it(`${vector.name}: llmpass's signer gives the published signature`, async () => {
      const headers = await sign(vector);
      const authorization = headers.find(([name]) => name === 'authorization')?.[1];
      expect(authorization).toBe(
        `AWS4-HMAC-SHA256 Credential=${suite.credentials.accessKeyId}/20150830/${suite.region}/${suite.service}/aws4_request, SignedHeaders=${vector.signedHeaders}, Signature=${vector.signature}`,
      );
      expect(headers.find(([name]) => name === 'x-amz-date')?.[1]).toBe('20150830T123600Z');
      expect(headers.find(([name]) => name === 'host')?.[1]).toBe('example.amazonaws.com');
    });

    it(`${vector.name}: the fake's verifier accepts the published request`, async () => {
      const url = new URL(vector.url);
      const headers = await sign(vector);
      const verdict = verifySigV4(
        { method: vector.method, url: `${url.pathname}${url.search}`, rawHeaders: headers.flat(), body: Buffer.from(vector.body ?? '') },
        { ...suite.credentials, ...(vector.sessionToken ? { sessionToken: vector.sessionToken } : {}), region: suite.region, service: suite.service },
        { now: signingDate.getTime() },
      );
      expect(verdict).toMatchObject({ ok: true });
    });
  }

  it('the verifier refuses a request changed after signing (a header, the body, the path)', async () => {
    const vector = suite.cases.find((c) => c.name === 'post-x-www-form-urlencoded')!;
    const headers = await sign(vector);
    const key = { ...suite.credentials, region: suite.region, service: suite.service };
    const at = { now: signingDate.getTime() };
    const wire = (over: Partial<{ url: string; body: string; headers: Array<[string, string]> }>) => ({
      method: 'POST',
      url: over.url ?? '/',
      rawHeaders: (over.headers ?? headers).flat(),
      body: Buffer.from(over.body ?? vector.body!),
    });
    expect(verifySigV4(wire({}), key, at).ok).toBe(true);
    expect(verifySigV4(wire({ body: 'Param1=value2' }), key, at).ok).toBe(false);
    expect(verifySigV4(wire({ url: '/x' }), key, at).ok).toBe(false);
    expect(verifySigV4(wire({ headers: headers.map(([n, v]) => [n, n === 'content-type' ? 'text/plain' : v]) }), key, at).ok).toBe(false);
    expect(verifySigV4(wire({}), { ...key, secretAccessKey: 'wrong' }, at).ok).toBe(false);
    expect(verifySigV4(wire({}), key, { now: Date.now() }).ok).toBe(false);
  });
});

describe('SigV4 for Bedrock: model ids are encoded once on the wire and twice in the canonical URI', () => {
  it('the canonical URI double-encodes what the wire encodes once', () => {
    expect(canonicalUri('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse')).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse');
    expect(canonicalUri('/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x/invoke')).toBe(
      '/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A1%253Ainference-profile%252Fus.x/invoke',
    );
    expect(awsUriEncode('a:b/c~')).toBe('a%3Ab%2Fc~');
  });

  it('the URL library keeps %3A and %2F as written: no second encoding, no decoding on the wire', () => {
    const url = joinEndpoint('https://bedrock-runtime.us-east-1.amazonaws.com', 'model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aapplication-inference-profile%2Fabc/converse');
    expect(url.pathname).toBe('/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aapplication-inference-profile%2Fabc/converse');
    expect(url.href).not.toContain('%25');
  });

  it('a deployment\'s model id and ARN become one encoded segment, and the ARN names the region', () => {
    const config = configFromObject(
      {
        model_list: [
          { model_name: 'id', litellm_params: { model: 'bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0', aws_region_name: 'eu-central-1' } },
          { model_name: 'arn', litellm_params: { model: 'bedrock/arn:aws:bedrock:ap-south-1:123456789012:application-inference-profile/a1b2' } },
          { model_name: 'routed', litellm_params: { model: 'bedrock/converse/us.anthropic.claude-3-7-sonnet-20250219-v1:0' } },
        ],
      },
      undefined,
      { AWS_REGION: 'us-east-2' },
    );
    const router = new Router({ config });
    expect(router.prepare({ model: 'id', endpoint: 'converse' }).url.href).toBe(
      'https://bedrock-runtime.eu-central-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
    );
    expect(router.prepare({ model: 'arn', endpoint: 'invoke-with-response-stream' }).url.href).toBe(
      'https://bedrock-runtime.ap-south-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aap-south-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2/invoke-with-response-stream',
    );
    // LiteLLM's `bedrock/converse/<id>` names the API, not the model; the region falls back on AWS_REGION.
    expect(router.prepare({ model: 'routed', endpoint: 'converse-stream' }).url.href).toBe(
      'https://bedrock-runtime.us-east-2.amazonaws.com/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream',
    );
  });
});
