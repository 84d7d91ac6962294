import { MissingSettingError } from '../errors.ts';
import { Secret } from '../secret.ts';

/** An api base split into what may be shown and the credentials it carried (`http://user:pass@host/p?code=KEY`). */
export interface ApiBaseParts {
  /** The base without userinfo or query: safe in listings, messages and logs. */
  apiBase: string;
  /** `user:pass` as the token of a Basic Authorization header, as curl sends userinfo. */
  baseAuth?: Secret | undefined;
  /** The base's query string as written (an Azure Functions `code=...`), sent before the endpoint's own. */
  baseQuery?: Secret | undefined;
}

/** A query string for a person: each name with its value masked. */
function maskedQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=***` : pair))
    .join('&');
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * Splits the credentials out of an http(s) api base, so they are sent (userinfo as Basic auth, the query before the
 * endpoint's) but never shown. The base is never quoted in an error: it may be the credential.
 */
export function splitApiBase(base: string, who: string): ApiBaseParts {
  let url: URL | undefined;
  try {
    url = new URL(base);
  } catch {
    // fall through to the error
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new MissingSettingError(`${who}: api base is not an http(s) URL`);
  const parts: ApiBaseParts = { apiBase: base };
  if (!url.username && !url.password && !url.search) return parts;
  if (url.username || url.password) {
    parts.baseAuth = new Secret(Buffer.from(`${decode(url.username)}:${decode(url.password)}`).toString('base64'));
    url.username = '';
    url.password = '';
  }
  const query = url.search.slice(1);
  if (query) parts.baseQuery = new Secret(query, undefined, maskedQuery(query));
  url.search = '';
  url.hash = '';
  parts.apiBase = url.href;
  return parts;
}

/** The base for a person: `https://***@host/path?code=***` when it carries credentials. */
export function displayBase({ apiBase, baseAuth, baseQuery }: ApiBaseParts): string {
  const shown = baseAuth ? apiBase.replace('://', '://***@') : apiBase;
  return baseQuery ? `${shown}?${baseQuery.describe()}` : shown;
}

/** The texts a credential of the base could be echoed as: the Basic token, each user and password, each query value. */
export function baseSecrets(parts: ApiBaseParts): Secret[] {
  const out: Secret[] = [];
  if (parts.baseAuth) {
    out.push(parts.baseAuth);
    const userinfo = Buffer.from(parts.baseAuth.reveal(), 'base64').toString();
    const colon = userinfo.indexOf(':');
    out.push(new Secret(userinfo.slice(0, colon)), new Secret(userinfo.slice(colon + 1)));
  }
  if (parts.baseQuery) {
    for (const [, value] of new URLSearchParams(parts.baseQuery.reveal())) out.push(new Secret(value));
    for (const pair of parts.baseQuery.reveal().split('&')) out.push(new Secret(pair.slice(pair.indexOf('=') + 1)));
  }
  return out;
}
