// A call's row, built once its answer is out (observe.ts loads this then): usage priced with the deployment's
// override (litellm_params or model_info) or the bundled price table, headers masked, bodies capped.
import type { Deployment } from '../core/deployment.ts';
import { costOf, priceOverrideOf } from './cost.ts';
import { capBody, maskHeaders, newRowId, type RequestRow } from './log/row.ts';
import { hasPriceSource, type CallOutcome, type ObservedCall } from './observe.ts';

export interface CallFacts {
  deployment: Deployment | undefined;
  attempts: number;
  startedAt: number;
  durationMs: number;
}

export async function buildRow(call: ObservedCall, outcome: CallOutcome, facts: CallFacts): Promise<RequestRow> {
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
    endpoint: call.endpoint,
    status: outcome.status,
    errorCode: outcome.errorCode,
    attempts: facts.attempts,
    durationMs: Math.round(facts.durationMs),
    ttfbMs: outcome.ttfbMs === null ? null : Math.round(outcome.ttfbMs),
    bytesIn: call.bytesIn ?? (request.body ? request.body.byteLength : null),
    bytesOut: outcome.bytesOut,
    tokens: outcome.usage,
    // Without usage or a price source there is nothing to price: no await, no price table.
    cost: deployment && outcome.usage.input !== undefined && hasPriceSource(deployment) ? await priceOf(deployment, outcome, facts.startedAt) : null,
    keyAlias: call.keyAlias ?? null,
    replayOf: call.replayOf ?? null,
    requestHeaders: call.bodies && call.requestHeaders ? maskHeaders(call.requestHeaders) : null,
    requestBody: request.body,
    requestBodyTruncated: request.truncated,
    responseBody: outcome.responseBody,
    responseBodyTruncated: outcome.responseBodyTruncated,
  };
}

/** The call's cost, or null when unknown (no usage, no price, an answer that failed). */
async function priceOf(deployment: Deployment, outcome: CallOutcome, startedAt: number): Promise<number | null> {
  try {
    return await costOf({
      pricesProvider: deployment.provider.pricesProvider,
      model: deployment.model,
      usage: outcome.usage,
      override: priceOverrideOf((key) => deployment.settings.text(key), deployment.modelInfo),
      at: new Date(startedAt),
    });
  } catch {
    return null;
  }
}
