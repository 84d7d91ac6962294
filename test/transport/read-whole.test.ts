import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readWhole } from '../../src/transport/read-whole.ts';

const tooLarge = () => new Error('too large');

describe('readWhole', () => {
  it('reads every chunk, strings included', async () => {
    expect((await readWhole(Readable.from([Buffer.from('ab'), 'cd', Buffer.from('e')]), 5, tooLarge)).toString()).toBe('abcde');
  });

  it('refuses a stream past the limit with the caller\'s error, holding no more than the limit', async () => {
    let sent = 0;
    const endless = new Readable({
      read() {
        sent += 1024;
        setImmediate(() => this.push(Buffer.alloc(1024)));
      },
    });
    await expect(readWhole(endless, 4096, tooLarge)).rejects.toThrow('too large');
    endless.destroy();
    expect(sent).toBeGreaterThan(4096);
  });

  it('rejects a stream that closes before its end, and one that fails', async () => {
    const cut = new Readable({ read() {} });
    const reading = readWhole(cut, 100, tooLarge);
    cut.push('partial');
    cut.destroy();
    await expect(reading).rejects.toThrow(/closed before its end/);
    const failing = new Readable({ read() { this.destroy(new Error('reset')); } });
    await expect(readWhole(failing, 100, tooLarge)).rejects.toThrow('reset');
  });

  it('copies a body of announced length into one buffer as it arrives, and refuses one longer than announced', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(4096, i));
    const whole = await readWhole(Readable.from(chunks), 1 << 20, tooLarge, 40 * 4096);
    expect(whole.equals(Buffer.concat(chunks))).toBe(true);
    await expect(readWhole(Readable.from(chunks), 1 << 20, tooLarge, 39 * 4096)).rejects.toThrow(/longer than its announced/);
    await expect(readWhole(Readable.from(chunks), 100 * 1024, tooLarge, 200 * 1024)).rejects.toThrow('too large');
  });
});
