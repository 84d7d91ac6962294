// JSON request bodies held as bytes: checked (UTF-8, depth, syntax) and their top-level `model` found by one
// byte-level scan, with the model swapped by splicing bytes rather than parse and stringify. One file (~340 lines):
// the scanner and the body it describes share offsets that no other module should know.
import { isUtf8 } from 'node:buffer';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { UsageError } from '../errors.ts';

/** Deeper JSON is refused: no API body needs it, and every parser downstream pays for it (pydantic stops at 200). */
export const MAX_JSON_DEPTH = 256;
/** The proxy scans a large body a slice at a time, letting other requests run in between. */
const SLICE_BYTES = 2 * 1024 * 1024;

/** A JSON body refused before it goes anywhere; `reason` says what and where, without quoting the body. */
export class JsonBodyError extends UsageError {
  readonly reason: string;
  readonly tooDeep: boolean;

  constructor(reason: string, tooDeep: boolean, source: string) {
    super(tooDeep ? `${source} is nested too deeply (${reason})` : `${source} is not valid JSON (${reason})`);
    this.reason = reason;
    this.tooDeep = tooDeep;
  }
}

/** Where the top level's parts stand in the text. */
interface Layout {
  isObject: boolean;
  /** [start, end) of each top-level `model` member's value. */
  modelSpans: Array<readonly [number, number]>;
  /** Where the top-level object's `{` stands, and whether it has members: for a model that was absent. */
  objectStart: number;
  hasMembers: boolean;
}

/**
 * JSON text checked whole (syntax, UTF-8, depth) without building a single object, with where its top-level
 * `model` members stand, so that the model is swapped by splicing bytes: everything else goes upstream as sent.
 */
export class JsonBody {
  readonly bytes: Uint8Array;
  /** Whether the text is an object (only an object's model is swapped). */
  readonly isObject: boolean;
  /** The top-level `model`, when it is a string (the last one wins, as JSON.parse reads it). */
  readonly model: string | undefined;
  readonly #layout: Layout;

  constructor(bytes: Uint8Array, layout: Layout, model: string | undefined) {
    this.bytes = bytes;
    this.isObject = layout.isObject;
    this.model = model;
    this.#layout = layout;
  }

  /** The bytes with every top-level `model` set to `model` in its place, or put first when absent. */
  withModel(model: string): Uint8Array {
    const parts = this.partsWithModel(model);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** The same, as slices of the original bytes around the new model's: nothing is copied (the model's bytes are kept for every body: read, never written). */
  partsWithModel(model: string): Uint8Array[] {
    const { isObject, modelSpans, objectStart, hasMembers } = this.#layout;
    if (!isObject) return [this.bytes];
    const value = modelBytes(model);
    if (modelSpans.length === 0) {
      const open = objectStart + 1;
      return [this.bytes.subarray(0, open), Buffer.from(`"model":${value}${hasMembers ? ',' : ''}`), this.bytes.subarray(open)];
    }
    const parts: Uint8Array[] = [];
    let at = 0;
    for (const [start, end] of modelSpans) {
      parts.push(this.bytes.subarray(at, start), value);
      at = end;
    }
    parts.push(this.bytes.subarray(at));
    return parts;
  }
}

/** A deployment's model as JSON bytes, kept: the proxy swaps the same few models into every body. */
const modelJson = new Map<string, Buffer>();
function modelBytes(model: string): Buffer {
  let bytes = modelJson.get(model);
  if (!bytes) {
    if (modelJson.size >= 256) modelJson.clear();
    modelJson.set(model, (bytes = Buffer.from(JSON.stringify(model))));
  }
  return bytes;
}

/** The levels of a scan that runs to its end in one go: no two of those are ever under way at once. */
const oneGoLevels = new Uint8Array(MAX_JSON_DEPTH + 1);

/** Scans JSON text in one go: for bodies held by one-shot commands and batch lines. */
export function scanJson(bytes: Uint8Array, source: string): JsonBody {
  if (!isUtf8(bytes)) throw new JsonBodyError('it is not UTF-8, as JSON must be', false, source);
  const scanner = new Scanner(bytes, source, oneGoLevels);
  scanner.run(0, bytes.length);
  return scanner.finish();
}

/**
 * Scans JSON text a slice at a time, yielding to the event loop between slices: the proxy's large bodies. A body of
 * one slice is scanned at once and answered without a promise (the proxy's every request would pay for one).
 */
export function scanJsonYielding(bytes: Uint8Array, source: string): JsonBody | Promise<JsonBody> {
  return bytes.length <= SLICE_BYTES ? scanJson(bytes, source) : scanSlices(bytes, source);
}

async function scanSlices(bytes: Uint8Array, source: string): Promise<JsonBody> {
  const scanner = new Scanner(bytes, source);
  for (let from = 0; from < bytes.length; ) {
    let to = Math.min(from + SLICE_BYTES, bytes.length);
    // A slice ends on a character's first byte, so that each slice is UTF-8 on its own.
    for (let back = 0; back < 3 && to < bytes.length && (bytes[to]! & 0xc0) === 0x80; back++) to--;
    if (!isUtf8(bytes.subarray(from, to))) throw new JsonBodyError('it is not UTF-8, as JSON must be', false, source);
    scanner.run(from, to);
    from = to;
    if (from < bytes.length) await nextTurn();
  }
  return scanner.finish();
}

/** A JSON value (the library's, a probe's) as text, scanned like any other body. */
export function jsonBodyOf(value: unknown): JsonBody {
  if (value instanceof JsonBody) return value;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    // JSON.stringify runs out of stack near ten thousand levels, or past V8's longest string: the caller's fault.
    // A cycle or a BigInt: JSON cannot hold it (the first line of V8's message says which).
    if (error instanceof TypeError) throw new UsageError(`the JSON body cannot be serialised (${error.message.split('\n')[0]})`);
    if (!(error instanceof RangeError)) throw error;
    if (/call stack/i.test(error.message)) throw new JsonBodyError(`over ${MAX_JSON_DEPTH} levels of arrays and objects`, true, 'the JSON body');
    throw new UsageError('the JSON body is too large to serialise');
  }
  if (text === undefined) throw new UsageError('the JSON body is not a JSON value (a function or undefined)');
  return scanJson(Buffer.from(text), 'the JSON body');
}

// What the scanner expects next, outside strings, numbers and literals.
const VALUE = 0;
const VALUE_OR_CLOSE = 1; // after `[`
const KEY_OR_CLOSE = 2; // after `{`
const KEY = 3; // after `,` in an object
const COLON = 4;
const COMMA_OR_CLOSE = 5;
const DONE = 6;

// What the scanner is inside of.
const BETWEEN = 0;
const STRING = 1;
const NUMBER = 2;
const LITERAL = 3;

// Number states, after: `-`, a leading `0`, integer digits, `.`, fraction digits, `e`, the exponent's sign, its digits.
const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_ESIGN = 6;
const N_EXP = 7;

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MODEL = Buffer.from('"model"');
const LITERALS: Record<number, Uint8Array> = { 0x74: Buffer.from('true'), 0x66: Buffer.from('false'), 0x6e: Buffer.from('null') };

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isEscape = (c: number) => c === QUOTE || c === BACKSLASH || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74;

/** A resumable byte-level JSON checker (RFC 8259): it can stop at any byte and go on from there. */
class Scanner {
  #expect = VALUE;
  #inside = BETWEEN;
  #depth = 0;
  /** Per level: whether it is an object. */
  readonly #objects: Uint8Array;
  // A string: where it started, whether it is a key, whether it has escapes, and the escape being read (0 none,
  // 1 after `\`, 2-5 hex digits still to come, plus one).
  #stringStart = 0;
  #stringIsKey = false;
  #escaped = false;
  #escape = 0;
  #number = N_MINUS;
  #literal: Uint8Array = LITERALS[0x74]!;
  #literalAt = 0;
  // The top level: whether it is an object, where, how many members; the model member being read.
  #isObject = false;
  #objectStart = 0;
  #members = 0;
  #inModel = false;
  #modelStart = 0;
  readonly #spans: Array<[number, number]> = [];

  readonly bytes: Uint8Array;
  readonly source: string;

  /** `levels`: MAX_JSON_DEPTH + 1 bytes this scan may use (a fresh set for a scan that yields). */
  constructor(bytes: Uint8Array, source: string, levels = new Uint8Array(MAX_JSON_DEPTH + 1)) {
    this.bytes = bytes;
    this.source = source;
    this.#objects = levels;
  }

  #fail(reason: string): never {
    throw new JsonBodyError(reason, false, this.source);
  }

  #unexpected(at: number): never {
    this.#fail(`unexpected byte at position ${at}`);
  }

  run(from: number, to: number): void {
    const b = this.bytes;
    for (let i = from; i < to; i++) {
      let c = b[i]!;
      if (this.#inside === STRING) {
        if (this.#escape === 0) {
          while (c !== QUOTE && c !== BACKSLASH && c >= 0x20) {
            if (++i === to) return;
            c = b[i]!;
          }
          if (c === QUOTE) this.#endString(i);
          else if (c === BACKSLASH) {
            this.#escape = 1;
            this.#escaped = true;
          } else this.#fail(`a control character in a string at position ${i}`);
        } else if (this.#escape === 1) {
          if (c === 0x75) this.#escape = 5;
          else if (isEscape(c)) this.#escape = 0;
          else this.#fail(`an unknown escape in a string at position ${i}`);
        } else {
          if (!isHex(c)) this.#fail(`an unknown escape in a string at position ${i}`);
          this.#escape = this.#escape === 2 ? 0 : this.#escape - 1;
        }
        continue;
      }
      if (this.#inside === NUMBER) {
        if (this.#stepNumber(c)) continue;
        if (!this.#numberComplete()) this.#unexpected(i);
        this.#inside = BETWEEN;
        this.#valueDone(i);
      } else if (this.#inside === LITERAL) {
        if (c !== this.#literal[this.#literalAt]) this.#unexpected(i);
        if (++this.#literalAt === this.#literal.length) {
          this.#inside = BETWEEN;
          this.#valueDone(i + 1);
        }
        continue;
      }
      if (isSpace(c)) continue;
      const expect = this.#expect;
      if ((expect === VALUE_OR_CLOSE && c === CLOSE_ARRAY) || (expect === KEY_OR_CLOSE && c === CLOSE_OBJECT)) this.#close(i);
      else if (expect === VALUE || expect === VALUE_OR_CLOSE) this.#beginValue(c, i);
      else if (expect === KEY || expect === KEY_OR_CLOSE) {
        if (c !== QUOTE) this.#unexpected(i);
        if (this.#depth === 1) this.#members++;
        this.#beginString(i, true);
      } else if (expect === COLON) {
        if (c !== 0x3a) this.#unexpected(i);
        this.#expect = VALUE;
      } else if (expect === COMMA_OR_CLOSE) {
        const inObject = this.#objects[this.#depth] === 1;
        if (c === 0x2c) this.#expect = inObject ? KEY : VALUE;
        else if (c === (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) this.#close(i);
        else this.#unexpected(i);
      } else this.#unexpected(i);
    }
  }

  finish(): JsonBody {
    const end = this.bytes.length;
    if (this.#inside === NUMBER && this.#numberComplete()) {
      this.#inside = BETWEEN;
      this.#valueDone(end);
    }
    if (this.#inside !== BETWEEN || this.#expect !== DONE) this.#fail(`it ends early, at position ${end}`);
    const last = this.#spans.at(-1);
    const model = last && this.bytes[last[0]] === QUOTE ? (JSON.parse(Buffer.from(this.bytes.buffer, this.bytes.byteOffset + last[0], last[1] - last[0]).toString()) as string) : undefined;
    return new JsonBody(this.bytes, { isObject: this.#isObject, modelSpans: this.#spans, objectStart: this.#objectStart, hasMembers: this.#members > 0 }, model);
  }

  #beginValue(c: number, i: number): void {
    if (this.#inModel && this.#depth === 1) this.#modelStart = i;
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (this.#depth === MAX_JSON_DEPTH) throw new JsonBodyError(`over ${MAX_JSON_DEPTH} levels of arrays and objects, at position ${i}`, true, this.source);
      const object = c === OPEN_OBJECT;
      if (this.#depth === 0 && object) {
        this.#isObject = true;
        this.#objectStart = i;
      }
      this.#objects[++this.#depth] = object ? 1 : 0;
      this.#expect = object ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
    } else if (c === QUOTE) this.#beginString(i, false);
    else if (c === 0x2d || isDigit(c)) {
      this.#inside = NUMBER;
      this.#number = c === 0x2d ? N_MINUS : c === 0x30 ? N_ZERO : N_INT;
    } else if (LITERALS[c]) {
      this.#inside = LITERAL;
      this.#literal = LITERALS[c];
      this.#literalAt = 1;
    } else this.#unexpected(i);
  }

  #beginString(i: number, key: boolean): void {
    this.#inside = STRING;
    this.#stringStart = i;
    this.#stringIsKey = key;
    this.#escaped = false;
  }

  #endString(i: number): void {
    this.#inside = BETWEEN;
    if (!this.#stringIsKey) return this.#valueDone(i + 1);
    this.#expect = COLON;
    if (this.#depth === 1) this.#inModel = this.#isModelKey(this.#stringStart, i + 1);
  }

  #isModelKey(start: number, end: number): boolean {
    const key = this.bytes.subarray(start, end);
    if (!this.#escaped) return Buffer.compare(key, MODEL) === 0;
    // `"mod\u0065l"` is `model` to every parser upstream.
    return end - start < 64 && JSON.parse(Buffer.from(key).toString()) === 'model';
  }

  #close(i: number): void {
    this.#depth--;
    this.#valueDone(i + 1);
  }

  #valueDone(end: number): void {
    if (this.#inModel && this.#depth === 1) {
      this.#spans.push([this.#modelStart, end]);
      this.#inModel = false;
    }
    this.#expect = this.#depth === 0 ? DONE : COMMA_OR_CLOSE;
  }

  /** Takes one more byte of a number, or says that the number has ended before it. */
  #stepNumber(c: number): boolean {
    const digit = isDigit(c);
    const exponent = c === 0x65 || c === 0x45;
    const state = this.#number;
    let next: number | undefined;
    if (state === N_MINUS) next = !digit ? undefined : c === 0x30 ? N_ZERO : N_INT;
    else if (state === N_INT && digit) next = N_INT;
    else if (state === N_INT || state === N_ZERO) next = c === 0x2e ? N_DOT : exponent ? N_E : undefined;
    else if (state === N_DOT || state === N_FRAC) next = digit ? N_FRAC : state === N_FRAC && exponent ? N_E : undefined;
    else if (state === N_E) next = c === 0x2b || c === 0x2d ? N_ESIGN : digit ? N_EXP : undefined;
    else next = digit ? N_EXP : undefined;
    if (next === undefined) return false;
    this.#number = next;
    return true;
  }

  #numberComplete(): boolean {
    return this.#number === N_ZERO || this.#number === N_INT || this.#number === N_FRAC || this.#number === N_EXP;
  }
}
