// What every attempt to a deployment's endpoint shares, built once: the span name, the attributes that depend only
// on the deployment and the URL, and the metric target. A proxy sends the same few requests again and again.
import type { Attributes } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions';
import { ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_REQUEST_MODEL } from '@opentelemetry/semantic-conventions/incubating';
import type { Deployment } from '../core/deployment.ts';
import { cachedOperationName, genAiProviderName } from './genai.ts';
import { MetricTarget } from './metric-sets.ts';

export interface AttemptConstants {
  readonly protocol: string;
  readonly host: string;
  readonly path: string;
  /** The last whole URL seen with these (its query may differ from call to call): one getter and one compare. */
  href: string;
  /** `chat gpt-4o`: the operation and the model as the client asked for it. */
  readonly spanName: string;
  readonly attributes: Attributes;
  /** Per request method, a first attempt's whole set (the constants, the method, attempt 0, reason "first"), frozen. */
  readonly first: Map<string, Attributes>;
  /** The low-cardinality metric attributes' sets, made on first use (metrics may be off). */
  metric: MetricTarget | undefined;
  readonly metricBase: Attributes;
}

/** The URL's scheme, host and path: a credential may sit in its query or userinfo. */
const safeUrl = (url: URL): string => `${url.protocol}//${url.host}${url.pathname}`;

/** Per deployment, the last endpoint it was called on (a deployment the GC drops takes its entry with it). */
const byDeployment = new WeakMap<Deployment, AttemptConstants>();

export function attemptConstants(deployment: Deployment, url: URL): AttemptConstants {
  const known = byDeployment.get(deployment);
  if (known) {
    // url.href is stored; pathname, host and protocol are sliced out of it by their getters on every call.
    const href = url.href;
    if (known.href === href) return known;
    if (known.path === url.pathname && known.host === url.host && known.protocol === url.protocol) {
      known.href = href;
      return known;
    }
  }
  const operation = cachedOperationName(url.pathname);
  const requestModel = deployment.alias ?? deployment.model;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const metricBase: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: operation,
    [ATTR_GEN_AI_PROVIDER_NAME]: genAiProviderName(deployment.provider.id),
    [ATTR_GEN_AI_REQUEST_MODEL]: requestModel,
    [ATTR_SERVER_ADDRESS]: url.hostname,
    [ATTR_SERVER_PORT]: port,
  };
  // No llmpass.alias: gen_ai.request.model is the alias the client asked for (the unit's span carries it too).
  // Frozen: our tracer keeps a frozen set by reference and writes its KeyValues from bytes encoded once.
  const attributes: Attributes = Object.freeze({
    ...metricBase,
    [ATTR_URL_FULL]: safeUrl(url),
    'llmpass.deployment': deployment.id,
    'llmpass.upstream_model': deployment.model,
  });
  const constants: AttemptConstants = { protocol: url.protocol, host: url.host, path: url.pathname, href: url.href, spanName: `${operation} ${requestModel}`, attributes, first: new Map(), metric: undefined, metricBase };
  byDeployment.set(deployment, constants);
  return constants;
}

/**
 * The first attempt's attributes for `method`, one frozen set: the tracer writes it from bytes encoded once, where
 * three attributes set one by one were checked, stored and encoded on every request.
 */
export function firstAttemptAttributes(constants: AttemptConstants, method: string): Attributes {
  let set = constants.first.get(method);
  if (!set) {
    // Bounded: a method is a client's word; past a few, a new one takes the place of all.
    if (constants.first.size >= 16) constants.first.clear();
    set = Object.freeze({ ...constants.attributes, [ATTR_HTTP_REQUEST_METHOD]: method, 'llmpass.attempt': 0, 'llmpass.attempt.reason': 'first' });
    constants.first.set(method, set);
  }
  return set;
}
