import { BodyTooLargeError } from '../errors.ts';
import type { SignableRequest } from '../providers/types.ts';
import type { OutgoingRequest } from './http-client.ts';
import { readWhole } from './read-whole.ts';
import type { UpstreamRequest } from '../core/request.ts';

/** A body a signature must cover is held whole; past this it is refused rather than held. */
export const MAX_SIGNED_BODY = 64 * 1024 * 1024;

/**
 * The signing seam: a provider whose auth is `signed` sees the request exactly as it will go out (method, final
 * URL, headers, body bytes) and adds its headers, so a signature covers what is sent and a token is fetched only
 * when needed. Called by sendUpstream for each attempt (a retry is signed afresh).
 */
export async function signOutgoing(request: UpstreamRequest, outgoing: OutgoingRequest): Promise<OutgoingRequest> {
  const auth = request.deployment.provider.auth;
  if (auth.kind !== 'signed') return outgoing;
  let { body, headers } = outgoing;
  if (auth.signsBody && body !== undefined && !(body instanceof Uint8Array)) {
    // A signature covers the payload's hash, so a stream is read whole first: the services that sign bodies
    // (SigV4 outside S3) take no UNSIGNED-PAYLOAD. Past the limit it is refused, and the stream is left to drain,
    // not destroyed: it may be a proxy client's request, which must still get its 413.
    const limitMiB = MAX_SIGNED_BODY / 1024 / 1024;
    const declared = request.body?.kind === 'stream' ? request.body.length : undefined;
    if (declared !== undefined && declared > MAX_SIGNED_BODY) {
      throw new BodyTooLargeError(`the body is ${declared} bytes, over ${limitMiB} MiB, the most held to be signed`);
    }
    body = await readWhole(body, MAX_SIGNED_BODY, () => new BodyTooLargeError(`the body is over ${limitMiB} MiB, the most held to be signed`));
    headers = [...headers.filter(([name]) => name !== 'content-length'), ['content-length', String(body.byteLength)]];
  }
  const signable: SignableRequest = { method: outgoing.method, url: outgoing.url, headers: [...headers], body: body instanceof Uint8Array ? body : undefined };
  await auth.sign(signable, request.deployment);
  return { method: signable.method, url: signable.url, headers: signable.headers, body };
}
