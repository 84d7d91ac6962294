import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toUpstreamBody } from '../../src/transport/body.ts';
import { jsonBodyOf } from '../../src/transport/json-body.ts';

/** A value's JSON text with its model set as the transport sends it (undefined: no model to set). */
function serialiseWithModel(value: unknown, model: string | undefined): string {
  const json = jsonBodyOf(value);
  return Buffer.from(model === undefined ? json.bytes : json.withModel(model)).toString();
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('serialiseWithModel', () => {
  it('replaces model where it stands, keeping key order', () => {
    expect(serialiseWithModel({ input: 'x', model: 'alias', n: 1 }, 'org/upstream')).toBe('{"input":"x","model":"org/upstream","n":1}');
  });

  it('inserts model first when absent', () => {
    expect(serialiseWithModel({ input: 'Hello, world!' }, 'org/upstream')).toBe('{"model":"org/upstream","input":"Hello, world!"}');
    expect(serialiseWithModel({}, 'm')).toBe('{"model":"m"}');
  });

  it('replaces a model that is null, a number, an object or undefined', () => {
    expect(JSON.parse(serialiseWithModel({ model: null }, 'm'))).toEqual({ model: 'm' });
    expect(JSON.parse(serialiseWithModel({ model: 7 }, 'm'))).toEqual({ model: 'm' });
    expect(JSON.parse(serialiseWithModel({ model: { a: 1 } }, 'm'))).toEqual({ model: 'm' });
    expect(JSON.parse(serialiseWithModel({ model: undefined, x: 1 }, 'm'))).toEqual({ model: 'm', x: 1 });
  });

  it('touches only the top-level model, never nested ones', () => {
    const body = { model: 'a', messages: [{ role: 'user', content: 'hi', model: 'inner' }], extra: { model: 'deep' } };
    expect(JSON.parse(serialiseWithModel(body, 'up'))).toEqual({ model: 'up', messages: [{ role: 'user', content: 'hi', model: 'inner' }], extra: { model: 'deep' } });
  });

  it('leaves the body alone when there is no model to set or it is not an object', () => {
    expect(serialiseWithModel({ model: 'a', x: 1 }, undefined)).toBe('{"model":"a","x":1}');
    expect(serialiseWithModel([{ model: 'a' }], 'm')).toBe('[{"model":"a"}]');
    expect(serialiseWithModel('text', 'm')).toBe('"text"');
    expect(serialiseWithModel(42, 'm')).toBe('42');
    expect(serialiseWithModel(null, 'm')).toBe('null');
  });

  it('escapes the model as JSON', () => {
    const model = 'we"ird\\model\n\u2028';
    expect(JSON.parse(serialiseWithModel({ x: 1 }, model))).toEqual({ model, x: 1 });
    expect(JSON.parse(serialiseWithModel({ model: 'a' }, model))).toEqual({ model });
  });

  it('does not mutate the input (a deeply frozen body serialises, and is unchanged)', () => {
    const body = deepFreeze({ model: 'alias', input: ['a', 'b'], options: { model: 'keep' } });
    const before = structuredClone(body);
    expect(() => serialiseWithModel(body, 'up')).not.toThrow();
    expect(body).toEqual(before);
    const absent = deepFreeze({ input: 'x' });
    expect(JSON.parse(serialiseWithModel(absent, 'up'))).toEqual({ model: 'up', input: 'x' });
    expect(absent).toEqual({ input: 'x' });
    expect(Object.hasOwn(absent, 'model')).toBe(false);
  });

  it('keeps a "__proto__" key as data, without prototype pollution', () => {
    for (const text of ['{"__proto__":{"polluted":"yes"},"input":"x"}', '{"model":"a","__proto__":{"polluted":"yes"}}']) {
      const body = JSON.parse(text) as Record<string, unknown>;
      const out = serialiseWithModel(body, 'up');
      const parsed = JSON.parse(out) as Record<string, unknown>;
      expect(Object.hasOwn(parsed, '__proto__'), out).toBe(true);
      expect(parsed.model).toBe('up');
      expect(out).toContain('"__proto__":{"polluted":"yes"}');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
      // The caller's object still has its own __proto__ key and its real prototype.
      expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
      expect(Object.hasOwn(body, '__proto__')).toBe(true);
    }
  });

  it('keeps "constructor" and "prototype" keys as data', () => {
    const body = JSON.parse('{"constructor":{"prototype":{"x":1}},"prototype":2}') as unknown;
    expect(JSON.parse(serialiseWithModel(body, 'up'))).toEqual({ model: 'up', constructor: { prototype: { x: 1 } }, prototype: 2 });
  });
});

describe('toUpstreamBody', () => {
  it('keeps text and bytes replayable, streams the rest', () => {
    expect(toUpstreamBody('hé')).toEqual({ kind: 'bytes', bytes: new TextEncoder().encode('hé') });
    const bytes = new Uint8Array([0, 255]);
    expect(toUpstreamBody(bytes)).toEqual({ kind: 'bytes', bytes });
    expect(toUpstreamBody(bytes.buffer)).toMatchObject({ kind: 'bytes' });
    const form = new FormData();
    expect(toUpstreamBody(form)).toEqual({ kind: 'form', form });
    expect(toUpstreamBody(new Blob(['abc']))).toMatchObject({ kind: 'stream', length: 3 });
    expect(toUpstreamBody(new ReadableStream<Uint8Array>())).toMatchObject({ kind: 'stream' });
    expect(toUpstreamBody(Readable.from([Buffer.from('x')]))).toMatchObject({ kind: 'stream' });
  });

  it('turns an async iterable into a stream that yields its chunks', async () => {
    async function* chunks(): AsyncIterable<Uint8Array> {
      yield new Uint8Array([1, 2]);
      yield new Uint8Array([3]);
    }
    const body = toUpstreamBody(chunks());
    expect(body.kind).toBe('stream');
    // A web ReadableStream or a Node Readable: both are async iterables of byte chunks.
    const out: number[] = [];
    for await (const chunk of (body as { stream: AsyncIterable<Uint8Array> }).stream) out.push(...chunk);
    expect(out).toEqual([1, 2, 3]);
  });
});
