// Provider keys and the master key never appear in output, logs or errors, even when pasted into the wrong field of
// a config: whatever of a config value an error message shows goes through here.

/** Keys whose values are credentials: api_key, master_key, aws_secret_access_key, vertex_credentials, ... */
const CREDENTIAL_KEY = /key|secret|token|password|credential/i;

/**
 * A known key or token prefix at the start of a word: `sk-...` (also `sk-ant-`), but also `Bearer sk-...` or
 * `?key=AIza...`. GitHub tokens (`ghp_`, `github_pat_`...), Google OAuth access tokens (`ya29.`) and JWTs (`eyJ`,
 * base64 of `{"`) carry dots or slashes the opaque patterns below let through, so their prefix alone decides.
 */
const KEY_PREFIX = /(?:^|[^A-Za-z0-9])(?:sk-|sk_|AKIA|AIza|xai-|gsk_|hf_|gh[pousr]_|github_pat_|ya29\.|eyJ)/;

// Where a key standing alone may start: the start, a space, or after `:`, `=`, `?`, `&`, `,`, `;` or a quote. None of
// these is a key character, so a match can start only once per run and each run is scanned once: linear time.
// (With `=` both here and in the key characters, every `=` of `====...` started a new scan: quadratic time.)

/**
 * A key without a known prefix: 24 or more base64url- or hex-like characters as a word of its own, `=` padding
 * allowed after. Not part of a path or a host name (no slash or dot next to it), so
 * `my-azure-resource-eastus2.openai.azure.com` still shows.
 */
const OPAQUE_KEY = /(?:^|[\s:=?&,;"'])[A-Za-z0-9+_-]{24,}(?![A-Za-z0-9+_./-])/;

/**
 * An AWS secret access key: exactly 40 characters of standard base64, which may include `/`. Both cases are
 * required (checked after the match) so an all-lowercase path such as `host:8000/v1/...` of that length still shows.
 */
const AWS_SECRET = /(?:^|[\s:=?&,;"'])([A-Za-z0-9+/]{40})(?![A-Za-z0-9+/_.-])/g;

/**
 * Past this length a value is not shown whole in an error anyway: it is cut to its first characters without being
 * scanned, which also bounds the work on a value of up to the 1 MiB a config file may hold.
 */
const MAX_SCANNED = 256;

/** Whether a key names a credential: a value under it is never quoted, whatever it looks like. */
export function isCredentialKey(key: unknown): boolean {
  return typeof key === 'string' && CREDENTIAL_KEY.test(key);
}

function looksLikeKey(text: string): boolean {
  if (KEY_PREFIX.test(text) || OPAQUE_KEY.test(text)) return true;
  for (const [, word = ''] of text.matchAll(AWS_SECRET)) if (/[A-Z]/.test(word) && /[a-z]/.test(word)) return true;
  return false;
}

/** Text from the config as a message may show it: masked to its first characters when it looks like a key. */
export function masked(text: string): string {
  if (text.length <= MAX_SCANNED && !looksLikeKey(text)) return text;
  // At most 4 characters, and never half of a short one: enough to recognise which key it was, not to use it.
  return `${text.slice(0, Math.min(4, Math.floor(text.length / 2)))}…`;
}

/**
 * A URL-like value that did not parse, as a message may show it: userinfo and the query carry credentials (Basic
 * auth, `?code=`), so both are masked whole; the scheme, host, port and path still show the typo.
 */
export function maskedUrlText(text: string): string {
  return text.replace(/^([^/?#]*\/\/)[^/?#]*@/, '$1***@').replace(/\?[^#]*/, '?***');
}

/** A value as an error message quotes it: `"htp:/x"` as written (typos show), a key masked, a mapping by its kind. */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(masked(value));
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
