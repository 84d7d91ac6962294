import type { ProbeAnswer } from './types.ts';

type Verdict = { ok: boolean; reason: string };

const SNIPPET = 200;

function header(answer: ProbeAnswer, name: string): string | undefined {
  return answer.headers.find(([key]) => key === name)?.[1];
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET ? `${flat.slice(0, SNIPPET)}…` : flat;
}

/** `message` of an AWS error body (`{"message": ...}` or `{"Message": ...}`), else the text. */
function awsMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; Message?: unknown };
    const message = body.message ?? body.Message;
    if (typeof message === 'string') return shorten(message);
  } catch {
    // not JSON: the text itself
  }
  return shorten(text);
}

/**
 * Reads the answer to an empty Converse request: refused as invalid means the signature, the credentials, the region
 * and the model were all accepted (nothing was generated); the AWS error type says which of them failed.
 */
export function judgeBedrockProbe(answer: ProbeAnswer, model: string, region: string): Verdict {
  if (answer.status >= 200 && answer.status < 300) return { ok: true, reason: `${answer.status}: signed call answered (${region})` };
  const type = (header(answer, 'x-amzn-errortype') ?? '').split(':')[0]!;
  const message = awsMessage(answer.text);
  const badModel = /model identifier is invalid|model.*(not found|does not exist)|doesn't support the model/i.test(message);
  if (answer.status === 400 && type === 'ValidationException' && !badModel) {
    return { ok: true, reason: `signed call accepted in ${region} (an empty Converse request, refused as invalid: nothing generated)` };
  }
  const status = `${answer.status}${type ? ` ${type}` : ''}`;
  switch (type) {
    case 'ExpiredTokenException':
      return { ok: false, reason: `${status}: the AWS session token has expired; refresh the credentials (aws sso login, a new session token)` };
    case 'UnrecognizedClientException':
      return { ok: false, reason: `${status}: AWS does not recognise the access key id (a wrong key, or one not valid in ${region}): ${message}` };
    case 'InvalidSignatureException':
      return { ok: false, reason: `${status}: the signature was refused (a wrong secret access key, or this machine's clock is off): ${message}` };
    case 'AccessDeniedException':
      return { ok: false, reason: `${status}: missing permission: these credentials may not invoke "${model}" in ${region} (IAM bedrock:InvokeModel, or model access not granted): ${message}` };
  }
  if (answer.status === 404 || type === 'ResourceNotFoundException' || badModel) {
    return { ok: false, reason: `${status}: model "${model}" not found in ${region}; check aws_region_name and the model id: ${message}` };
  }
  return { ok: false, reason: `${status}: ${message}` };
}

interface GoogleError {
  error?: { status?: unknown; message?: unknown; type?: unknown; details?: Array<{ reason?: unknown }> };
}

/**
 * Reads the answer to a Vertex probe (countTokens for Google models, an empty rawPredict for partner models, which
 * is refused as invalid without generating). Google's status names say whether the token, the permission or the
 * location was wrong.
 */
export function judgeVertexProbe(answer: ProbeAnswer, where: { model: string; project: string; location: string; partner: boolean }): Verdict {
  if (answer.status >= 200 && answer.status < 300) return { ok: true, reason: `${answer.status}: signed call answered (${where.location})` };
  let body: GoogleError = {};
  try {
    body = JSON.parse(answer.text) as GoogleError;
  } catch {
    // not JSON: the text is the message
  }
  const error = body.error ?? {};
  const status = typeof error.status === 'string' ? error.status : '';
  const message = typeof error.message === 'string' ? shorten(error.message) : shorten(answer.text);
  const reasons = (error.details ?? []).map((detail) => String(detail.reason ?? ''));
  const label = `${answer.status}${status ? ` ${status}` : ''}`;
  if (answer.status === 400 && where.partner && error.type === 'invalid_request_error') {
    return { ok: true, reason: `signed call accepted in ${where.location} (an empty request, refused as invalid: nothing generated)` };
  }
  if (answer.status === 401) return { ok: false, reason: `${label}: the access token was refused (expired or revoked credentials): ${message}` };
  if (reasons.includes('SERVICE_DISABLED') || /has not been used in project|is disabled/i.test(message)) {
    return { ok: false, reason: `${label}: the Vertex AI API is not enabled in project "${where.project}": ${message}` };
  }
  if (answer.status === 403) {
    return { ok: false, reason: `${label}: missing permission: these credentials may not call "${where.model}" in project "${where.project}" (roles/aiplatform.user): ${message}` };
  }
  if (answer.status === 404) {
    return { ok: false, reason: `${label}: "${where.model}" not found in ${where.location} of project "${where.project}"; check vertex_location, vertex_project and the model: ${message}` };
  }
  return { ok: false, reason: `${label}: ${message}` };
}
