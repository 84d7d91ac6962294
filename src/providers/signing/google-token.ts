import { CredentialsError } from '../../errors.ts';
import { Secret } from '../../secret.ts';
import type { ProviderSettings, SignableRequest } from '../types.ts';
import { googleCredentialSource, type GoogleCredentialSource } from './google-credentials.ts';
import { refreshingValues, type Expiring } from './refresh-cache.ts';
import type { Deployment } from '../../core/deployment.ts';

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Where google-auth-library sends every service-account token request, whatever the key's `token_uri` says. */
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const TOKEN_TIMEOUT_MS = 30_000;

const tokens = refreshingValues<Secret>();

interface TokenClient {
  getAccessToken(): Promise<{ token?: string | null }>;
  credentials: { expiry_date?: number | null };
}

/**
 * A client for the source. A service-account key's `token_uri` is honoured, as Google's Python and Go libraries do:
 * google-auth-library (v11) always posts to oauth2.googleapis.com, so the request is pointed at the key's
 * `token_uri` and the assertion's audience set to it. Anything else (user ADC, workload identity, the metadata
 * server) is the library's own.
 */
async function tokenClient(source: GoogleCredentialSource): Promise<TokenClient> {
  const { GoogleAuth, JWT } = await import('google-auth-library');
  if (source.kind === 'json' && source.json.type === 'service_account') {
    const { client_email: email, private_key: key, private_key_id: keyId, token_uri: tokenUri } = source.json as Record<string, string | undefined>;
    const custom = tokenUri && tokenUri !== GOOGLE_TOKEN_URI ? tokenUri : undefined;
    const jwt = new JWT({ email, key, keyId, scopes: [SCOPE], ...(custom ? { additionalClaims: { aud: custom } } : {}) });
    if (custom) {
      jwt.transporter.interceptors.request.add({
        resolved: async (options) => {
          if (String(options.url) === GOOGLE_TOKEN_URI) options.url = new URL(custom);
          return options;
        },
      });
    }
    return jwt;
  }
  const auth = new GoogleAuth({ scopes: [SCOPE], ...(source.kind === 'json' ? { credentials: source.json } : {}) });
  return (await auth.getClient()) as unknown as TokenClient;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function fetchToken(source: GoogleCredentialSource, who: string): Promise<Expiring<Secret>> {
  const account = source.kind === 'json' && typeof source.json.client_email === 'string' ? ` for ${source.json.client_email}` : '';
  try {
    const client = await tokenClient(source);
    const { token } = await withTimeout(client.getAccessToken(), TOKEN_TIMEOUT_MS, 'the token endpoint');
    if (!token) throw new Error('the answer held no access token');
    const expiry = client.credentials.expiry_date;
    return { value: new Secret(token), expiresAt: typeof expiry === 'number' ? expiry : undefined };
  } catch (error) {
    const why = ((error as Error)?.message ?? String(error)).split('\n')[0];
    const hint =
      source.kind === 'adc'
        ? ' (set vertex_credentials to a service-account key file or its JSON, set GOOGLE_APPLICATION_CREDENTIALS, or run `gcloud auth application-default login`)'
        : /invalid_grant/.test(why ?? '')
          ? ' (the key was refused: deleted or disabled, or this machine\'s clock is off)'
          : '';
    // No `cause`: the library's error carries the request, and with it the signed assertion.
    throw new CredentialsError(`${who}: could not get a Google access token${account}: ${why}${hint}`);
  }
}

/** The deployment's access token: cached per credential, refreshed before expiry, one fetch for a burst of calls. */
export function googleAccessToken(settings: ProviderSettings): Promise<Secret> {
  const source = googleCredentialSource(settings);
  return tokens(source.kind === 'json' ? source.id : 'adc', () => fetchToken(source, settings.who));
}

/** Vertex's signer: an OAuth2 access token as a Bearer, in place of whatever Authorization a caller sent. */
export async function signVertexRequest(request: SignableRequest, deployment: Deployment): Promise<void> {
  // A token given as the key (`--api-key "$(gcloud auth print-access-token)"`) is used as it is.
  const token = deployment.apiKey ?? (await googleAccessToken(deployment.settings));
  request.headers = [...request.headers.filter(([name]) => name !== 'authorization'), ['authorization', `Bearer ${token.reveal()}`]];
}
