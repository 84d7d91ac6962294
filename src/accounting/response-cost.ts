// The `x-llmpass-response-cost` header (LiteLLM's `x-litellm-response-cost`) on a buffered answer: a successful JSON
// answer small enough to hold is read whole, and its usage priced, before its head goes. A streamed answer, or one
// larger than HOLD_MAX or of unknown length, goes on as it comes, without the header: its usage arrives after its head.
import { Readable } from 'node:stream';
import type { UpstreamReply } from '../core/reply.ts';
import { isJsonMediaType } from '../transport/headers.ts';
import { readWhole } from '../transport/read-whole.ts';
import { replyHeader } from '../transport/reply.ts';
import type { Deployment } from '../core/deployment.ts';
import { hasPriceSource } from './cost.ts';
import { CallObserver, type BodyFollower } from './observe.ts';

export const COST_HEADER = 'x-llmpass-response-cost';
/** The largest answer held back for its cost. */
export const HOLD_MAX = 1024 * 1024;

/**
 * The answer read whole and carrying its cost, when it can (a pending promise), else undefined at once: the caller
 * relays it as it comes, and its observer watches it then. The call's observer watches it while it is held (the one
 * usage reading) and builds its row; a call nobody observes (no request log, no key) gets one for its cost alone.
 * A body that fails while held rejects with its error: nothing has been sent yet. `follower` (the call's trace, asked
 * only when the answer is held) is told what that reading finds.
 */
export function holdForCost(
  observer: CallObserver | undefined,
  reply: UpstreamReply,
  answered: Deployment | undefined,
  method: string,
  follower: (reply: UpstreamReply) => BodyFollower | undefined,
): Promise<UpstreamReply> | undefined {
  if (reply.status >= 300 || method === 'HEAD' || !answered || !hasPriceSource(answered)) return undefined;
  const length = Number(replyHeader(reply, 'content-length') ?? Number.NaN);
  if (!(length <= HOLD_MAX) || !isJsonMediaType(replyHeader(reply, 'content-type'))) return undefined;
  const watcher = observer ?? new CallObserver({ face: 'proxy', method, model: '', endpoint: '', bodies: false }, () => undefined, answered);
  return held(watcher, reply, length, follower(reply));
}

async function held(observer: CallObserver, reply: UpstreamReply, length: number, follower: BodyFollower | undefined): Promise<UpstreamReply> {
  observer.watch(reply, follower);
  // Rejects on an error, a body longer than announced, or one closed before its end: nothing has been sent yet.
  const whole = await readWhole(reply.body, HOLD_MAX, () => new Error(`the answer is longer than its announced ${length} bytes`), length);
  // The row's cost, not its writing: the answer waits for no database.
  await observer.built;
  const cost = observer.row?.cost;
  return {
    ...reply,
    headers: cost === null || cost === undefined ? reply.headers : [...reply.headers, [COST_HEADER, String(cost)]],
    body: Readable.from([whole], { objectMode: false }),
  };
}
