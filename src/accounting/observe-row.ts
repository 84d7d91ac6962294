// A call's row, built once its answer is out (observe.ts loads this then): usage priced with the deployment's
// override (litellm_params or model_info) or the bundled price table, headers masked, bodies capped.
import type { Deployment } from '../core/deployment.ts';
import { deploymentCost } from './cost.ts';
import { capBody, maskEndpoint, maskHeaders, newRowId, type RequestRow } from './log/row.ts';
import type { CallOutcome, ObservedCall } from './observe.ts';

export interface CallFacts {
  deployment: Deployment | undefined;
  attempts: number;
  startedAt: number;
  durationMs: number;
}

/** The row, at once unless its cost waits for the price table's first load. */
export function buildRow(call: ObservedCall, outcome: CallOutcome, facts: CallFacts): RequestRow | Promise<RequestRow> {
  const { deployment } = facts;
  const cost = deployment ? deploymentCost(deployment, outcome.usage, facts.startedAt) : null;
  return cost instanceof Promise ? cost.then((priced) => rowOf(call, outcome, facts, priced)) : rowOf(call, outcome, facts, cost);
}

function rowOf(call: ObservedCall, outcome: CallOutcome, facts: CallFacts, cost: number | null): RequestRow {
  const { deployment } = facts;
  const request = call.bodies ? capBody(call.requestBody?.()) : { body: null, truncated: false };
  return {
    id: newRowId(facts.startedAt),
    time: facts.startedAt,
    face: call.face,
    alias: call.model || null,
    deployment: deployment?.id ?? null,
    provider: deployment?.provider.id ?? null,
    model: deployment?.model ?? null,
    method: call.method,
    endpoint: maskEndpoint(call.endpoint),
    status: outcome.status,
    errorCode: outcome.errorCode,
    attempts: facts.attempts,
    durationMs: Math.round(facts.durationMs),
    ttfbMs: outcome.ttfbMs === null ? null : Math.round(outcome.ttfbMs),
    bytesIn: call.bytesIn ?? (request.body ? request.body.byteLength : null),
    bytesOut: outcome.bytesOut,
    tokens: outcome.usage,
    cost,
    keyAlias: call.keyAlias ?? null,
    replayOf: call.replayOf ?? null,
    requestHeaders: call.bodies && call.requestHeaders ? maskHeaders(call.requestHeaders) : null,
    requestBody: request.body,
    requestBodyTruncated: request.truncated,
    responseBody: outcome.responseBody,
    responseBodyTruncated: outcome.responseBodyTruncated,
  };
}
