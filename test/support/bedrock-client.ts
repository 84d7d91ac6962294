// The AWS SDK's Bedrock runtime client as a user points it at the proxy: its own (any) credentials, which the proxy
// drops and re-signs with its own, the master key added by a middleware, and HTTP/1.1 (the client speaks HTTP/2 by
// default; the proxy speaks HTTP/1.1).
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Client-side credentials that must never reach an upstream. */
export const CLIENT_SIDE_AWS = { accessKeyId: 'AKIDCLIENTSIDE', secretAccessKey: 'client-side-secret', sessionToken: 'client-session-token' };

export function proxiedBedrockClient(proxyUrl: string, masterKey: string): BedrockRuntimeClient {
  const client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: `${proxyUrl}/bedrock`,
    requestHandler: new NodeHttpHandler(),
    credentials: CLIENT_SIDE_AWS,
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-llmpass-api-key'] = masterKey;
      return next(args);
    },
    { step: 'build', name: 'llmpassKey' },
  );
  return client;
}
