// Members of a JSON document found by their bytes (the usage object, the answering model), so that a small part
// of a large answer is decoded and parsed instead of all of it. Only what can be proved from the bytes around the member is trusted:
// anything else (the key nested deeper, a value that is not an object, an escaped quote before it) says undefined,
// and the caller parses the whole document as before. Bytes, not text: UTF-8's multi-byte sequences never hold an
// ASCII byte, so quotes, brackets and backslashes are found in the bytes as in the decoded text.

/** Past this many bytes after the member, proving it sits at the top level costs more than it saves. */
const MAX_TAIL = 4096;

const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;

const isSpace = (code: number | undefined): boolean => code === 32 || code === 10 || code === 13 || code === 9;

/** Where a member lies: `start` at its name's opening quote, `end` just past its object value's closing brace. */
export interface MemberSpan {
  start: number;
  end: number;
}

/**
 * Where `key` is a member of the document's top-level object with an object value (the last such member, as
 * JSON.parse would keep it): `"usage":{"prompt_tokens":6}` spans from its first quote to its last brace, so
 * `{` + that + `}` parses as `{usage: ...}`. Undefined when that cannot be shown.
 */
export function topLevelObjectMember(bytes: Buffer, key: string): MemberSpan | undefined {
  const quoted = `"${key}"`;
  const at = bytes.lastIndexOf(quoted, undefined, 'latin1');
  // A quote inside a string is escaped; `"key"` right after a backslash may be one: not worth telling apart.
  if (at <= 0 || bytes[at - 1] === BACKSLASH) return undefined;
  let i = skipSpace(bytes, at + quoted.length);
  if (bytes[i] !== COLON) return undefined;
  i = skipSpace(bytes, i + 1);
  if (bytes[i] !== OPEN_BRACE) return undefined;
  const end = closeOf(bytes, i, bytes.length);
  if (end === undefined) return undefined;
  // The member is the top level's when the object holding it closes at the document's last byte, and the
  // document is an object.
  if (bytes.length - end > MAX_TAIL || bytes[skipSpace(bytes, 0)] !== OPEN_BRACE) return undefined;
  const holderEnd = closeOf(bytes, end - 1, bytes.length, 1);
  if (holderEnd === undefined || skipSpace(bytes, holderEnd) !== bytes.length) return undefined;
  return { start: at, end };
}

/**
 * The value of the first member `"key": "..."` with a string value, quotes included (`"gpt-4o"`), each `"key"` looked
 * at in turn and only its own bytes: linear in the text. Undefined when none is found, or when the first string
 * value found does not close within `maxValueBytes` (a broken text, or a value no caller wants).
 */
export function firstStringMember(bytes: Buffer, key: string, maxValueBytes: number): MemberSpan | undefined {
  const quoted = `"${key}"`;
  for (let at = bytes.indexOf(quoted, 0, 'latin1'); at !== -1; at = bytes.indexOf(quoted, at + 1, 'latin1')) {
    let i = skipSpace(bytes, at + quoted.length);
    if (bytes[i] !== COLON) continue;
    i = skipSpace(bytes, i + 1);
    if (bytes[i] !== QUOTE) continue;
    const start = i;
    const limit = Math.min(bytes.length, start + maxValueBytes);
    for (i = start + 1; i < limit && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
    return i < limit ? { start, end: i + 1 } : undefined;
  }
  return undefined;
}

function skipSpace(bytes: Uint8Array, from: number): number {
  let i = from;
  while (i < bytes.length && isSpace(bytes[i])) i++;
  return i;
}

/**
 * The index just past the bracket that closes the one at `from` (its depth given as `depth` when scanning from just
 * inside it), strings skipped; undefined when it does not close before `limit`.
 */
function closeOf(bytes: Uint8Array, from: number, limit: number, startDepth = 0): number | undefined {
  let depth = startDepth;
  for (let i = startDepth ? from + 1 : from; i < limit; i++) {
    const code = bytes[i];
    if (code === QUOTE) {
      for (i++; i < limit; i++) {
        const inner = bytes[i];
        if (inner === BACKSLASH) i++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}
