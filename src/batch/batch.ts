import { BatchRun } from './batch-run.ts';
import type { BatchInput, BatchOptions, BatchResult, CallSender } from './types.ts';

/**
 * Sends many payloads through one sender (a Router): each as its own call to `options.model`'s `options.endpoint`, at most
 * `concurrency` at a time (less while the upstream answers 429 or Retry-After), results in input order unless
 * `ordered: false`. A failed line is a result (`{ line, error }`), never an exception.
 */
export async function* batchCalls(sender: CallSender, inputs: AsyncIterable<BatchInput> | Iterable<BatchInput>, options: BatchOptions): AsyncGenerator<BatchResult, void, undefined> {
  // Nothing starts (no listener, no read) until the first result is asked for.
  yield* new BatchRun(sender, inputs, options).results();
}

/** Payloads as inputs, lines counted from 1. */
export async function* numberPayloads(payloads: AsyncIterable<unknown> | Iterable<unknown>): AsyncGenerator<BatchInput, void, undefined> {
  let line = 0;
  for await (const payload of payloads) yield { line: ++line, payload };
}
