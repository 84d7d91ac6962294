import { UsageError } from '../errors.ts';
import type { JoinRule } from '../providers/types.ts';

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const FORBIDDEN_CHARS = /[\\\u0000-\u001f\u007f]/;

/** An endpoint as messages show it: control characters escaped, so an error stays one line. */
function shown(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new UsageError(`endpoint segment "${shown(segment)}" has a malformed %-escape`);
  }
}

const isDotSegment = (part: string): boolean => part === '..' || part === '.';

/**
 * The endpoint is a path on the deployment's server, never a way to reach another origin or climb above the
 * base: absolute URLs, `//host`, backslashes, control characters and `..` (however encoded) are refused.
 */
export function splitEndpoint(endpoint: string): { path: string; query: string } {
  const trimmed = endpoint.trim();
  if (SCHEME.test(trimmed) || trimmed.startsWith('//')) {
    throw new UsageError(`endpoint "${shown(endpoint)}" is a URL; give a path on the deployment's server, e.g. "classify" or "v1/chat/completions"`);
  }
  if (FORBIDDEN_CHARS.test(trimmed)) throw new UsageError(`endpoint "${shown(endpoint)}" contains a backslash or a control character`);
  const hash = trimmed.indexOf('#');
  const withoutFragment = hash === -1 ? trimmed : trimmed.slice(0, hash);
  const mark = withoutFragment.indexOf('?');
  const path = mark === -1 ? withoutFragment : withoutFragment.slice(0, mark);
  const query = mark === -1 ? '' : withoutFragment.slice(mark + 1);
  for (const segment of path.split('/')) {
    // A segment may hide separators (%2F, %5C): every part between them is checked, in every reading a server may
    // make of it: a gateway that decodes before the server behind it decodes again (`..%252f`).
    let reading = decodeSegment(segment);
    for (let depth = 0; ; depth++) {
      // Spaces around a part count for nothing: the URL parser drops those that end the whole URL (`%252e. /`).
      if (reading.split(/[\\/]/).some((part) => isDotSegment(part.trim()))) {
        throw new UsageError(`endpoint "${shown(endpoint)}" has a "." or ".." segment; it must stay below the deployment's api base`);
      }
      if (depth === 3 || !reading.includes('%')) break;
      // Decoded again as a lenient server would: the escapes that matter, whatever malformed ones are around them.
      reading = reading.replace(/%(2e|2f|5c|25)/gi, (escape) => decodeURIComponent(escape));
    }
  }
  return { path: path.split('/').filter(Boolean).join('/'), query };
}

/** Parsed api bases: a deployment's base is parsed once, not on every request (bounded; bases are few). */
const parsedBases = new Map<string, { origin: string; pathname: string }>();

function parseBase(apiBase: string): { origin: string; pathname: string } {
  let parsed = parsedBases.get(apiBase);
  if (!parsed) {
    const url = new URL(apiBase);
    parsed = { origin: url.origin, pathname: url.pathname };
    if (parsedBases.size >= 1000) parsedBases.clear();
    parsedBases.set(apiBase, parsed);
  }
  return parsed;
}

const NO_RULE: JoinRule = {};
/**
 * Endpoints already checked and joined, by rule then base and endpoint: the proxy sends the same few again and again.
 * Bounded in total (bases and endpoints can come from clients' paths): past MAX_JOINS it starts over. An endpoint
 * with a query is not kept (clients vary it), and a refused endpoint is checked each time.
 */
let joined = new WeakMap<JoinRule, Map<string, Map<string, string>>>();
let joinsKept = 0;
const MAX_JOINS = 4096;

/**
 * Joins an endpoint to an api base with exactly one slash, keeping the base's path (a gateway prefix) and
 * the endpoint's query string, then applying the provider's join rule (see JoinRule). A fresh URL each call: the
 * caller may add to its query.
 */
export function joinEndpoint(apiBase: string, endpoint: string, rule: JoinRule = NO_RULE): URL {
  const href = joined.get(rule)?.get(apiBase)?.get(endpoint);
  if (href !== undefined) return new URL(href);
  const url = checkedJoin(apiBase, endpoint, rule);
  if (endpoint.includes('?')) return url;
  if (++joinsKept > MAX_JOINS) {
    joined = new WeakMap();
    joinsKept = 1;
  }
  let byBase = joined.get(rule);
  if (!byBase) joined.set(rule, (byBase = new Map()));
  let byEndpoint = byBase.get(apiBase);
  if (!byEndpoint) byBase.set(apiBase, (byEndpoint = new Map()));
  byEndpoint.set(endpoint, url.href);
  return url;
}

function checkedJoin(apiBase: string, endpoint: string, rule: JoinRule): URL {
  const base = parseBase(apiBase);
  let basePath = base.pathname.replace(/\/+$/, '');
  if (rule.stripBaseSuffix && basePath.endsWith(rule.stripBaseSuffix)) {
    basePath = basePath.slice(0, -rule.stripBaseSuffix.length);
  }
  const split = splitEndpoint(endpoint);
  const query = split.query;
  let path = split.path;
  const seams = typeof rule.collapseSeam === 'string' ? [rule.collapseSeam] : (rule.collapseSeam ?? []);
  const seam = seams.find((s) => basePath.endsWith(`/${s}`) && (path === s || path.startsWith(`${s}/`)));
  if (seam) path = path.slice(seam.length + 1);
  const url = new URL(`${base.origin}${path ? `${basePath}/${path}` : basePath || '/'}`);
  if (query) url.search = query;
  if (url.origin !== base.origin || !url.pathname.startsWith(basePath)) {
    throw new UsageError(`endpoint "${shown(endpoint)}" leaves the api base ${base.origin}${basePath}`);
  }
  return url;
}

/** Adds `--query k=v` pairs after the endpoint's own query; repeated keys are kept. */
export function appendQuery(url: URL, pairs: Iterable<readonly [string, string]>): void {
  for (const [key, value] of pairs) url.searchParams.append(key, value);
}

const SENSITIVE_QUERY = /^(key|api[-_]?key|token|access[-_]?token|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

/** A URL for messages and logs: query values that may carry a credential are masked. */
export function displayUrl(url: URL | string): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (!parsed.search) return parsed.href;
  let masked = false;
  const params = new URLSearchParams(parsed.search);
  for (const key of new Set(params.keys())) {
    if (SENSITIVE_QUERY.test(key)) {
      params.set(key, '***');
      masked = true;
    }
  }
  if (!masked) return parsed.href;
  const copy = new URL(parsed.href);
  copy.search = params.toString().replace(/=\*\*\*/g, '=***');
  return copy.href.replace(/%2A%2A%2A/g, '***');
}
