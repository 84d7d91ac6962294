// One object member of a JSON document found by its bytes, so that a small part of a large answer (its usage) is
// parsed instead of all of it. Only what can be proved from the text around the member is trusted: anything else
// (the key nested deeper, a value that is not an object, an escaped quote before it) says undefined, and the caller
// parses the whole document as before.

/** Past this many characters after the member, proving it sits at the top level costs more than it saves. */
const MAX_TAIL = 4096;

const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;

const isSpace = (code: number): boolean => code === 32 || code === 10 || code === 13 || code === 9;

/**
 * The text of the object value of `key` when it is a member of the document's top-level object (the last such
 * member, as JSON.parse would keep), e.g. `{"prompt_tokens":6}` for `usage`; undefined when that cannot be shown.
 */
export function topLevelObjectMember(text: string, key: string): string | undefined {
  const quoted = `"${key}"`;
  const at = text.lastIndexOf(quoted);
  // A quote inside a string is escaped; `"key"` right after a backslash may be one: not worth telling apart.
  if (at <= 0 || text.charCodeAt(at - 1) === BACKSLASH) return undefined;
  let i = skipSpace(text, at + quoted.length);
  if (text.charCodeAt(i) !== COLON) return undefined;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  const start = i;
  const end = closeOf(text, start, text.length);
  if (end === undefined) return undefined;
  // The member is the top level's when the object holding it closes at the document's last character, and the
  // document is an object.
  if (text.length - end > MAX_TAIL || text.charCodeAt(skipSpace(text, 0)) !== OPEN_BRACE) return undefined;
  const holderEnd = closeOf(text, end - 1, text.length, 1);
  if (holderEnd === undefined || skipSpace(text, holderEnd) !== text.length) return undefined;
  return text.slice(start, end);
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * The index just past the bracket that closes the one at `from` (its depth given as `depth` when scanning from just
 * inside it), strings skipped; undefined when it does not close before `limit`.
 */
function closeOf(text: string, from: number, limit: number, startDepth = 0): number | undefined {
  let depth = startDepth;
  for (let i = startDepth ? from + 1 : from; i < limit; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      for (i++; i < limit; i++) {
        const inner = text.charCodeAt(i);
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
