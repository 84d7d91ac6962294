// Trace and span ids cut from a pool of random hex: the SDK's default formats a small Buffer per id, two native
// calls a span, which showed in the proxy's profile. Crypto-random, refilled when spent.
import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const POOL_BYTES = 16 * 1024;
const ZERO = /^0+$/;

export class PooledIdGenerator implements IdGenerator {
  #hex = '';
  #at = 0;

  /** `chars` hex digits, never all zeros (an invalid id in W3C trace context). */
  #next(chars: number): string {
    for (;;) {
      if (this.#at + chars > this.#hex.length) {
        this.#hex = randomBytes(POOL_BYTES).toString('hex');
        this.#at = 0;
      }
      const id = this.#hex.slice(this.#at, (this.#at += chars));
      if (!ZERO.test(id)) return id;
    }
  }

  generateTraceId(): string {
    return this.#next(32);
  }

  generateSpanId(): string {
    return this.#next(16);
  }
}
