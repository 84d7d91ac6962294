import { writeChunk } from '../render/write.ts';

/** Lines written together once this much is pending, without waiting for the next turn of the event loop. */
const HIGH_WATER = 64 * 1024;

/**
 * Lines to a stream, with backpressure: lines that become ready in the same turn of the event loop go out in one
 * write (a batch releases many at once when an earlier, slower line finishes), and a writer that is ahead of the
 * reader waits for 'drain' rather than buffering.
 */
export class LineWriter {
  readonly #out: NodeJS.WritableStream;
  #pending: string[] = [];
  #bytes = 0;
  #scheduled = false;
  #writing: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  async write(line: string): Promise<void> {
    if (this.#failure) throw this.#failure.error;
    this.#pending.push(line);
    this.#bytes += line.length;
    if (this.#writing) await this.#writing;
    if (this.#bytes >= HIGH_WATER) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush().catch(() => undefined);
      });
    }
  }

  /** Writes what is pending; resolves once the stream took it. Rejects with the stream's error (OutputClosedError). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#failure) throw this.#failure.error;
    if (this.#bytes === 0) return;
    const chunk = this.#pending.join('');
    this.#pending = [];
    this.#bytes = 0;
    this.#writing = writeChunk(this.#out, chunk)
      .catch((error: unknown) => {
        this.#failure = { error };
      })
      .finally(() => {
        this.#writing = undefined;
      });
    await this.#writing;
    const failure = this.#failure as { error: unknown } | undefined;
    if (failure) throw failure.error;
  }
}
