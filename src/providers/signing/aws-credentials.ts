import { CredentialsError, MissingSettingError } from '../../errors.ts';
import { Secret } from '../../secret.ts';
import type { ProviderSettings } from '../types.ts';
import { refreshingValues } from './refresh-cache.ts';

/** AWS credentials as the signer takes them; the secret parts stay Secrets until the signature is computed. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: Secret;
  sessionToken: Secret | undefined;
}

const chains = refreshingValues<AwsCredentials>();

/** `litellm_params` first (`os.environ/...` allowed), then the config's environment: no chain needed. */
function explicitCredentials(settings: ProviderSettings): AwsCredentials | undefined {
  const id = settings.text('aws_access_key_id');
  const secret = settings.secret('aws_secret_access_key');
  if (id !== undefined || secret !== undefined) {
    if (id === undefined || secret === undefined) {
      throw new MissingSettingError(`${settings.who}: aws_access_key_id and aws_secret_access_key go together; set both or neither`);
    }
    return { accessKeyId: id, secretAccessKey: secret, sessionToken: settings.secret('aws_session_token') };
  }
  const envId = settings.env('AWS_ACCESS_KEY_ID');
  const envSecret = settings.env('AWS_SECRET_ACCESS_KEY');
  if (!envId || !envSecret) return undefined;
  const token = settings.env('AWS_SESSION_TOKEN');
  return {
    accessKeyId: envId,
    secretAccessKey: new Secret(envSecret, 'AWS_SECRET_ACCESS_KEY'),
    sessionToken: token ? new Secret(token, 'AWS_SESSION_TOKEN') : undefined,
  };
}

/** The AWS SDK's own default chain (profiles, SSO, web identity, container and instance roles), loaded on first use. */
async function fromDefaultChain(profile: string | undefined, who: string): Promise<{ value: AwsCredentials; expiresAt: number | undefined }> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  try {
    const found = await fromNodeProviderChain(profile ? { profile } : {})();
    return {
      value: {
        accessKeyId: found.accessKeyId,
        secretAccessKey: new Secret(found.secretAccessKey),
        sessionToken: found.sessionToken ? new Secret(found.sessionToken) : undefined,
      },
      expiresAt: found.expiration?.getTime(),
    };
  } catch (error) {
    const why = (error as Error).message.split('\n')[0];
    throw new CredentialsError(
      `${who}: no AWS credentials: set aws_access_key_id and aws_secret_access_key (in litellm_params or as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), ` +
        `or a profile, SSO login, web identity or instance role${profile ? ` (profile "${profile}")` : ''}: ${why}`,
      { cause: error },
    );
  }
}

/**
 * A deployment's AWS credentials: its own settings, the environment, else the default chain, resolved once per
 * profile and refreshed before they expire (temporary credentials from SSO or a role).
 */
export function awsCredentials(settings: ProviderSettings): Promise<AwsCredentials> {
  const explicit = explicitCredentials(settings);
  if (explicit) return Promise.resolve(explicit);
  const profile = settings.text('aws_profile_name');
  return chains(`profile:${profile ?? ''}`, () => fromDefaultChain(profile, settings.who));
}
