import { UsageError } from '../../errors.ts';

/**
 * httpie's request items, after MODEL and ENDPOINT: `key=value`, `key:=json`, `key=@file`, `key:=@file`,
 * `field@file` (a multipart upload), `Header:Value`, `name==value`. A backslash before `=`, `:`, `@`, `;` or
 * another backslash makes it literal (`a\=b=c` sets `a=b`); in keys, `\[` and `\]` are literal brackets.
 */
export type RequestItem =
  | { kind: 'header'; name: string; value: string }
  | { kind: 'query'; name: string; value: string }
  | { kind: 'string'; key: string; value: string }
  | { kind: 'json'; key: string; value: string }
  | { kind: 'string-file'; key: string; path: string }
  | { kind: 'json-file'; key: string; path: string }
  | { kind: 'upload'; key: string; path: string; type?: string };

type Kind = RequestItem['kind'];

// Longest first: at one position `:=@` beats `:=` beats `:`.
const SEPARATORS: Array<[string, Kind]> = [
  [':=@', 'json-file'],
  ['==', 'query'],
  ['=@', 'string-file'],
  [':=', 'json'],
  ['=', 'string'],
  ['@', 'upload'],
  [':', 'header'],
  [';', 'header'],
];

const ESCAPABLE = new Set(['=', ':', '@', ';', '\\']);

interface Char {
  ch: string;
  escaped: boolean;
}

function tokenize(item: string): Char[] {
  const chars: Char[] = [];
  for (let i = 0; i < item.length; i++) {
    const ch = item[i]!;
    const next = item[i + 1];
    if (ch === '\\' && next !== undefined && ESCAPABLE.has(next)) {
      chars.push({ ch: next, escaped: true });
      i++;
    } else chars.push({ ch, escaped: false });
  }
  return chars;
}

function separatorAt(chars: Char[], at: number): [string, Kind] | undefined {
  return SEPARATORS.find(([sep]) => [...sep].every((ch, k) => chars[at + k]?.ch === ch && !chars[at + k]!.escaped));
}

const text = (chars: Char[]) => chars.map((c) => c.ch).join('');
// A body key goes on to the nested-key parser, which reads `\\` itself (`a\\[0]` is the key `a\` at index 0).
const keyText = (chars: Char[]) => chars.map((c) => (c.escaped && c.ch === '\\' ? '\\\\' : c.ch)).join('');

export const ITEM_SHAPES = 'key=value, key:=json, key=@file, key:=@file, field@file, Header:Value or name==value';

/** One item, by its leftmost unescaped separator. */
export function parseRequestItem(item: string): RequestItem {
  const chars = tokenize(item);
  for (let at = 0; at < chars.length; at++) {
    const found = separatorAt(chars, at);
    if (!found) continue;
    const [sep, kind] = found;
    const key = text(chars.slice(0, at));
    const rest = chars.slice(at + sep.length);
    const value = text(rest);
    if (key === '') throw new UsageError(`request item "${item}" has no name before "${sep}" (expected ${ITEM_SHAPES})`);
    switch (kind) {
      case 'header':
        return { kind, name: key.trim(), value: sep === ';' ? '' : value.trim() };
      case 'query':
        return { kind, name: key, value };
      case 'string':
      case 'json':
        return { kind, key: keyText(chars.slice(0, at)), value };
      case 'string-file':
      case 'json-file':
        return { kind, key: keyText(chars.slice(0, at)), path: fileArgument(value, item) };
      case 'upload': {
        // `file@talk.wav;type=audio/wav`, as curl's -F; an escaped `\;` stays in the path.
        const typeAt = rest.findLastIndex((c, i) => c.ch === ';' && !c.escaped && text(rest.slice(i + 1, i + 6)) === 'type=');
        const path = typeAt < 0 ? value : text(rest.slice(0, typeAt));
        const type = typeAt < 0 ? undefined : text(rest.slice(typeAt + 6));
        return { kind, key, path: fileArgument(path, item), ...(type ? { type } : {}) };
      }
    }
  }
  throw new UsageError(`"${item}" is not a request item (expected ${ITEM_SHAPES}; a backslash makes = : @ literal)`);
}

function fileArgument(path: string, item: string): string {
  if (path === '') throw new UsageError(`request item "${item}" names no file after "@"`);
  return path;
}

export function parseRequestItems(items: readonly string[]): RequestItem[] {
  return items.map(parseRequestItem);
}

/** Whether an item goes in the body (not a header or a query parameter). */
export function isBodyItem(item: RequestItem): item is Extract<RequestItem, { key: string }> {
  return item.kind !== 'header' && item.kind !== 'query';
}

/** The `Header:Value` items, as `--header` pairs (names lower-cased). */
export function itemHeaders(items: readonly RequestItem[]): Array<[string, string]> {
  return items.flatMap((item) => (item.kind === 'header' ? [[item.name.toLowerCase(), item.value] as [string, string]] : []));
}

/** The `name==value` items, as `--query` pairs. */
export function itemQuery(items: readonly RequestItem[]): Array<[string, string]> {
  return items.flatMap((item) => (item.kind === 'query' ? [[item.name, item.value] as [string, string]] : []));
}
