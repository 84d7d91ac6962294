// The JSON scanner every face uses for bodies it rewrites: it must agree with JSON.parse on what is JSON and what
// the top-level model is, and a swap must change the model and nothing else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBodyOf, MAX_JSON_DEPTH, scanJson, scanJsonYielding } from '../../src/transport/json-body.ts';

const scan = (text: string | Buffer) => scanJson(typeof text === 'string' ? Buffer.from(text) : text, 'the body');
const swapped = (text: string, model: string) => Buffer.from(scan(text).withModel(model)).toString();

/** JSON.parse's answer, or undefined when the text is not JSON. */
function parsed(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

// Texts made of JSON's own pieces, so that near-misses (a stray comma, a cut literal) come up often.
const PIECES = ['{', '}', '[', ']', ',', ':', ' ', '\n', '"model"', '"mod\\u0065l"', '"a"', '"\\"x\\\\"', '"\\ud800"', '"é"', '0', '-1', '1.5', '2e-3', '01', '1.', '.5', '-', 'true', 'false', 'null', 'nul', '"\\x"', '"\t"', '"model', 'E'];
const jsonish = fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }).map((parts) => parts.join(''));

describe('scanJson agrees with JSON.parse', () => {
  it('on generated values, and on text made of JSON pieces', () => {
    const check = (text: string) => {
      const expected = parsed(text);
      let body;
      try {
        body = scan(text);
      } catch (error) {
        expect(expected, `${text}: ${(error as Error).message}`).toBeUndefined();
        return;
      }
      expect(expected, text).toBeDefined();
      const value = expected!.value as { model?: unknown } | null;
      const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
      expect(body.isObject, text).toBe(isObject);
      expect(body.model, text).toBe(isObject && typeof value!.model === 'string' ? value!.model : undefined);
      if (isObject) expect(JSON.parse(swapped(text, 'up/m"1'))).toEqual({ ...(value as object), model: 'up/m"1' });
    };
    fc.assert(fc.property(fc.jsonValue(), (value) => check(JSON.stringify(value, null, 1))), { numRuns: 300 });
    fc.assert(fc.property(fc.dictionary(fc.constantFrom('model', 'input', 'n'), fc.jsonValue({ maxDepth: 2 })), (value) => check(JSON.stringify(value))), { numRuns: 300 });
    fc.assert(fc.property(jsonish, check), { numRuns: 3000 });
  });
});

describe('scans one after another', () => {
  it('share their levels without one misreading what another left (objects where arrays were, and back)', () => {
    expect(scan('{"a":[{"b":[{"c":1}]}]}').isObject).toBe(true);
    expect(() => scan('[[{"b":1]]]')).toThrow(/not valid JSON/);
    expect(scan('[[[1,2],[3]],[]]').isObject).toBe(false);
    expect(() => scan('{"a":{"b":[1}}}')).toThrow(/not valid JSON/);
    expect(scan('{"a":{"b":{"c":{}}},"model":"x"}').model).toBe('x');
  });

  it('swap the same model into many bodies, each body its own', () => {
    const first = scan('{"model":"a","n":1}').withModel('up/m');
    const second = scan('{"n":2,"model":"b"}').withModel('up/m');
    expect(Buffer.from(first).toString()).toBe('{"model":"up/m","n":1}');
    expect(Buffer.from(second).toString()).toBe('{"n":2,"model":"up/m"}');
  });
});

describe('the model swap', () => {
  it('replaces the model in place and leaves every other byte as sent', () => {
    expect(swapped('{ "input" : "x",\n  "model" : "alias" , "n": 1.50 }', 'org/up')).toBe('{ "input" : "x",\n  "model" : "org/up" , "n": 1.50 }');
  });

  it('puts the model first when absent, in an empty object too', () => {
    expect(swapped(' {"input":"x"}', 'm')).toBe(' {"model":"m","input":"x"}');
    expect(swapped('{ }', 'm')).toBe('{"model":"m" }');
  });

  it('replaces every top-level model (duplicates, an escaped key, a non-string value), and no nested one', () => {
    expect(swapped('{"model":"a","x":{"model":"keep"},"model":[1,{"model":2}],"mod\\u0065l":null}', 'm')).toBe('{"model":"m","x":{"model":"keep"},"model":"m","mod\\u0065l":"m"}');
    expect(scan('{"model":"a","model":"b"}').model).toBe('b');
  });

  it('leaves a body that is not an object as it is', () => {
    for (const text of ['[{"model":"a"}]', '"model"', '42', 'null']) expect(swapped(text, 'm')).toBe(text);
  });

  it('a library value is serialised once and swapped the same way', () => {
    expect(Buffer.from(jsonBodyOf({ input: 'x', model: 'alias' }).withModel('m')).toString()).toBe('{"input":"x","model":"m"}');
  });
});

describe('what is refused', () => {
  it('nesting past the limit, naming it, at once', () => {
    expect(() => scan(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).not.toThrow();
    const deep = Buffer.from('['.repeat(10 * 1024 * 1024));
    expect(() => scan(deep)).toThrow(`the body is nested too deeply (over ${MAX_JSON_DEPTH} levels of arrays and objects, at position ${MAX_JSON_DEPTH})`);
  });

  it('a library value nested past the limit, or past any stack', () => {
    const nest = (depth: number) => {
      let value: unknown = [];
      for (let i = 1; i < depth; i++) value = [value];
      return value;
    };
    expect(() => jsonBodyOf({ model: 'a', x: nest(MAX_JSON_DEPTH - 1) })).not.toThrow();
    expect(() => jsonBodyOf({ model: 'a', x: nest(MAX_JSON_DEPTH) })).toThrow(/^the JSON body is nested too deeply \(over 256 levels/);
    expect(() => jsonBodyOf(nest(100_000))).toThrow(/^the JSON body is nested too deeply/);
  });

  it('a library value JSON cannot hold (a cycle, a BigInt) is a typed usage error, not a raw TypeError', () => {
    const cycle: Record<string, unknown> = { model: 'a' };
    cycle.self = cycle;
    for (const value of [cycle, { model: 'a', n: 10n }]) {
      expect(() => jsonBodyOf(value)).toThrow(expect.objectContaining({ code: 'LLMPASS_USAGE', message: expect.stringMatching(/^the JSON body cannot be serialised \(/) }));
    }
  });

  it('invalid UTF-8, anywhere, in one go or a slice at a time', async () => {
    const bad = Buffer.concat([Buffer.from('{"model":"a","input":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(() => scan(bad)).toThrow('the body is not valid JSON (it is not UTF-8, as JSON must be)');
    // A large body with the bad byte far in, past the first slice, and a multi-byte character across a slice's end.
    const filler = 'é'.repeat(3 * 1024 * 1024);
    const large = Buffer.concat([Buffer.from(`{"input":"${filler}`), Buffer.from([0xff]), Buffer.from('"}')]);
    await expect(scanJsonYielding(large, 'the body')).rejects.toThrow(/not UTF-8/);
    const fine = Buffer.from(JSON.stringify({ input: filler, model: 'a' }));
    expect((await scanJsonYielding(fine, 'the body')).model).toBe('a');
  });

  it('says where, without quoting the body', () => {
    expect(() => scan('{"secret":"sk-live-1",}')).toThrow('the body is not valid JSON (unexpected byte at position 22)');
    expect(() => scan('{"model":"a"')).toThrow('the body is not valid JSON (it ends early, at position 12)');
  });
});
