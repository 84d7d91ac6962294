import { UsageError } from '../errors.ts';
import type { ProviderSettings } from './types.ts';

/** The runtime's per-model actions: `llmpass call my-claude converse` expands to `model/{id}/converse`. */
export const BEDROCK_ACTIONS = ['invoke', 'invoke-with-response-stream', 'converse', 'converse-stream', 'count-tokens'] as const;

/** LiteLLM's route prefixes inside a model string (`bedrock/converse/<id>`) name its API, not the model. */
const ROUTE_PREFIX = /^(converse|invoke)\//;

/** Where no setting, ARN or environment names a region (LiteLLM's fallback). */
export const DEFAULT_BEDROCK_REGION = 'us-west-2';

export function bedrockModelId(model: string): string {
  return model.replace(ROUTE_PREFIX, '');
}

/**
 * One path segment: `:` becomes %3A and an ARN's `/` %2F, encoded once on the wire. The signer encodes the path
 * again for the canonical request (SigV4 outside S3), as AWS does on its side.
 */
export function encodeModelSegment(model: string): string {
  return encodeURIComponent(bedrockModelId(model));
}

/** A region is a host label: nothing else may reach the host name. */
function checkRegion(region: string): string {
  if (!/^[a-z0-9-]+$/.test(region)) throw new UsageError(`"${region}" is not an AWS region (e.g. us-east-1)`);
  return region;
}

const ARN_REGION = /^arn:aws[a-z-]*:bedrock:([a-z0-9-]+):/;
const HOST_REGION = /(?:^|\.)bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/;

/**
 * The region requests go to and are signed for, as LiteLLM picks it: `aws_region_name`, then the region inside a
 * model ARN, then a regional api_base's host, then AWS_REGION_NAME, AWS_REGION, AWS_DEFAULT_REGION, then us-west-2.
 */
export function bedrockRegion(settings: ProviderSettings, model: string, apiBase?: string): string {
  const configured = settings.text('aws_region_name');
  if (configured) return checkRegion(configured);
  const fromArn = ARN_REGION.exec(bedrockModelId(model))?.[1];
  if (fromArn) return fromArn;
  if (apiBase) {
    const fromHost = HOST_REGION.exec(new URL(apiBase).hostname)?.[1];
    if (fromHost) return fromHost;
  }
  for (const name of ['AWS_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION']) {
    const value = settings.env(name);
    if (value) return checkRegion(value);
  }
  return DEFAULT_BEDROCK_REGION;
}

const ACTION_ONLY = /^\/*([a-z-]+)(\?.*)?$/;
const PATH_MODEL = /^(\/*model\/)(.+)(\/[a-z-]+(?:\?.*)?)$/;

/** An action alone is expanded with the deployment's model; a full path (`model/{id}/converse`) is kept. */
export function expandBedrockEndpoint(endpoint: string, model: string): string {
  const match = ACTION_ONLY.exec(endpoint);
  if (!match || !(BEDROCK_ACTIONS as readonly string[]).includes(match[1]!)) return endpoint;
  return `model/${encodeModelSegment(model)}/${match[1]}${match[2] ?? ''}`;
}

/** The model a `model/{id}/{action}` path names, decoded: an alias to resolve, or an upstream id. */
export function bedrockModelFromPath(endpoint: string): string | undefined {
  const name = PATH_MODEL.exec(endpoint)?.[2];
  if (name === undefined) return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}

export function replaceBedrockPathModel(endpoint: string, model: string): string {
  return endpoint.replace(PATH_MODEL, (_m, lead: string, _name: string, tail: string) => `${lead}${encodeModelSegment(model)}${tail}`);
}
