import { bedrockUsage } from './usage-readers.ts';
import { bedrockStreamText } from './stream-text.ts';
import { bedrockModelFromPath, bedrockRegion, expandBedrockEndpoint, replaceBedrockPathModel } from './bedrock-paths.ts';
import { judgeBedrockProbe } from './cloud-probes.ts';
import type { ProviderSpec } from './types.ts';

/**
 * AWS Bedrock's runtime: the model id (an inference profile or an ARN too) is a path segment, every request is
 * signed with SigV4 for the service `bedrock` in the deployment's region. The signer and the AWS SDK's credential
 * chain load only when a request is signed.
 */
export const bedrock: ProviderSpec = {
  id: 'bedrock',
  streamText: bedrockStreamText,
  usage: bedrockUsage,
  label: 'AWS Bedrock (runtime)',
  pricesProvider: 'aws',
  routePrefix: '/bedrock',
  // The host follows the region (apiBaseFrom); this is the region LiteLLM falls back on.
  defaultApiBase: 'https://bedrock-runtime.us-west-2.amazonaws.com',
  apiBaseEnv: ['AWS_BEDROCK_RUNTIME_ENDPOINT'],
  // A Bedrock API key, sent as a Bearer token instead of a signature.
  apiKeyEnv: ['AWS_BEARER_TOKEN_BEDROCK'],
  keyRequired: false,
  auth: {
    kind: 'signed',
    scheme: 'AWS SigV4',
    credentialEnv: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'],
    signsBody: true,
    sign: async (request, deployment) => (await import('./signing/sigv4.ts')).signBedrockRequest(request, deployment),
    // curl signs SigV4 itself; the credentials stay variables for the shell to expand.
    curlArgs: (deployment) => [
      '--aws-sigv4',
      `'aws:amz:${bedrockRegion(deployment.settings, deployment.model, deployment.apiBase)}:bedrock'`,
      '--user',
      '"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"',
    ],
  },
  join: {},
  joinExamples: [
    [
      'https://bedrock-runtime.us-east-1.amazonaws.com',
      'model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
    ],
  ],
  model: 'path',
  endpoints: ['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream'],
  expandEndpoint: (endpoint, { model }) => expandBedrockEndpoint(endpoint, model),
  modelFromPath: bedrockModelFromPath,
  replacePathModel: (endpoint, model) => replaceBedrockPathModel(endpoint, model),
  apiBaseFrom: (settings, model) => `https://bedrock-runtime.${bedrockRegion(settings, model)}.amazonaws.com`,
  // The runtime has no list or health call: an empty Converse request is signed and checked, and refused as invalid.
  probe: (deployment) => ({
    endpoint: 'converse',
    method: 'POST',
    json: { messages: [] },
    judge: (answer) => judgeBedrockProbe(answer, deployment.model, bedrockRegion(deployment.settings, deployment.model, deployment.apiBase)),
  }),
};
