// Provider keys and the master key never appear in output, logs or errors, even when pasted into the wrong field of
// a config: whatever of a config value an error message shows goes through here.

/** Keys whose values are credentials: api_key, master_key, aws_secret_access_key, vertex_credentials, ... */
const CREDENTIAL_KEY = /key|secret|token|password|credential/i;

/** A common provider key prefix at the start of a word: `sk-...`, but also `Bearer sk-...` or `?key=AIza...`. */
const KEY_PREFIX = /(?:^|[^A-Za-z0-9])(?:sk-|sk_|AKIA|AIza|xai-|gsk_|hf_)/;

/**
 * A key without a known prefix: 24 or more base64- or hex-like characters as a word of its own. Not part of a path
 * or a host name (no slash or dot next to it), so `my-azure-resource-eastus2.openai.azure.com` still shows.
 */
const OPAQUE_KEY = /(?:^|[\s:=?&,;"'])[A-Za-z0-9+=_-]{24,}(?![A-Za-z0-9+=_./-])/;

/** Whether a key names a credential: a value under it is never quoted, whatever it looks like. */
export function isCredentialKey(key: unknown): boolean {
  return typeof key === 'string' && CREDENTIAL_KEY.test(key);
}

/** Text from the config as a message may show it: masked to its first characters when it looks like a key. */
export function masked(text: string): string {
  if (!KEY_PREFIX.test(text) && !OPAQUE_KEY.test(text)) return text;
  // At most 4 characters, and never half of a short one: enough to recognise which key it was, not to use it.
  return `${text.slice(0, Math.min(4, Math.floor(text.length / 2)))}…`;
}

/** A value as an error message quotes it: `"htp:/x"` as written (typos show), a key masked, a mapping by its kind. */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(masked(value));
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
