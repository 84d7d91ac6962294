import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { bedrockRegion } from '../bedrock-paths.ts';
import type { SignableRequest } from '../types.ts';
import { awsCredentials, type AwsCredentials } from './aws-credentials.ts';
import type { Deployment } from '../../core/deployment.ts';

/** Headers a signature owns: whatever a caller sent under these names (a client's own SigV4) is dropped. */
const SIGNATURE_HEADERS = ['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'host'];

export interface SigV4Options {
  credentials: AwsCredentials;
  region: string;
  service: string;
  /** Fixed in tests (the published vectors); now otherwise. */
  signingDate?: Date;
  /** Send and sign `x-amz-content-sha256` (S3 wants it; others, as botocore signs them, do not). */
  payloadHashHeader?: boolean;
}

/**
 * The SigV4 headers for a request as it will be sent, from smithy's signer (the AWS SDK's own): the canonical URI is
 * the path as sent, encoded again per segment (`%3A` → `%253A`), the body's SHA-256 is in the canonical request, and
 * every header sent but the unsignable ones is signed. Returns every header to send, `host` included.
 */
export async function sigV4Headers(request: SignableRequest, options: SigV4Options): Promise<Array<[string, string]>> {
  const kept = request.headers.filter(([name]) => !SIGNATURE_HEADERS.includes(name));
  const merged: Record<string, string> = { host: request.url.host };
  // A repeated header is signed as the one comma-joined value a server reads it as.
  for (const [name, value] of kept) merged[name] = merged[name] === undefined ? value : `${merged[name]},${value}`;
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const { credentials } = options;
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: options.payloadHashHeader ?? false,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey.reveal(),
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken.reveal() } : {}),
    },
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      // As sent: already percent-encoded once, which the signer encodes again.
      path: request.url.pathname,
      query,
      headers: merged,
      ...(request.body ? { body: request.body } : {}),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const added: Array<[string, string]> = [];
  for (const name of SIGNATURE_HEADERS) {
    const value = signed.headers[name];
    if (value !== undefined) added.push([name, value]);
  }
  return [...kept, ...added];
}

/**
 * Bedrock's signer: SigV4 for the service `bedrock` (the host says bedrock-runtime) in the deployment's region, with
 * its credentials; a Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`, `api_key`) goes as a Bearer token instead.
 */
export async function signBedrockRequest(request: SignableRequest, deployment: Deployment): Promise<void> {
  if (deployment.apiKey) {
    const kept = request.headers.filter(([name]) => !SIGNATURE_HEADERS.includes(name));
    request.headers = [...kept, ['authorization', `Bearer ${deployment.apiKey.reveal()}`]];
    return;
  }
  const settings = deployment.settings;
  const region = bedrockRegion(settings, deployment.model, deployment.apiBase);
  request.headers = await sigV4Headers(request, { credentials: await awsCredentials(settings), region, service: 'bedrock' });
}
