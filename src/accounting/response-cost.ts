// The `x-llmpass-response-cost` header (LiteLLM's `x-litellm-response-cost`) on a buffered answer: a successful JSON
// answer small enough to hold is read whole, and its usage priced, before its head goes. A streamed answer, or one
// larger than HOLD_MAX or of unknown length, goes on as it comes, without the header: its usage arrives after its head.
import { Readable } from 'node:stream';
import type { UpstreamReply } from '../core/reply.ts';
import { isJsonMediaType } from '../transport/headers.ts';
import { replyHeader } from '../transport/reply.ts';
import type { CallObserver } from './observe.ts';

export const COST_HEADER = 'x-llmpass-response-cost';
/** The largest answer held back for its cost. */
export const HOLD_MAX = 1024 * 1024;

/**
 * The answer, read whole and carrying its cost, when it can: its observer has then watched it (the one usage
 * reading) and built its row. Undefined when it cannot (the caller relays it, and its observer watches it then).
 * A body that fails while held rejects with its error: nothing has been sent yet.
 */
export async function withResponseCost(observer: CallObserver, reply: UpstreamReply): Promise<UpstreamReply | undefined> {
  if (reply.status >= 300 || observer.call.method === 'HEAD' || !observer.priceable) return undefined;
  const length = Number(replyHeader(reply, 'content-length') ?? Number.NaN);
  if (!(length <= HOLD_MAX) || !isJsonMediaType(replyHeader(reply, 'content-type'))) return undefined;
  const body = reply.body;
  const chunks: Buffer[] = [];
  observer.watch(reply);
  await new Promise<void>((resolve, reject) => {
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.once('end', resolve);
    body.once('error', reject);
  });
  await observer.done;
  const cost = observer.row?.cost;
  return {
    ...reply,
    headers: cost === null || cost === undefined ? reply.headers : [...reply.headers, [COST_HEADER, String(cost)]],
    body: Readable.from([Buffer.concat(chunks)], { objectMode: false }),
  };
}
