// Request items (httpie's syntax) and nested JSON keys: the parsing core, without the CLI around it.
import { describe, expect, it } from 'vitest';
import { parseJsonPath, setJsonPath } from '../../src/cli/call/json-path.ts';
import { parseRequestItem } from '../../src/cli/call/request-items.ts';
import { UsageError } from '../../src/errors.ts';

describe('parseRequestItem', () => {
  it.each([
    ['input=Hola', { kind: 'string', key: 'input', value: 'Hola' }],
    ['n:=3', { kind: 'json', key: 'n', value: '3' }],
    ['tags:=["a","b"]', { kind: 'json', key: 'tags', value: '["a","b"]' }],
    ['doc:=@body.json', { kind: 'json-file', key: 'doc', path: 'body.json' }],
    ['text=@notes.txt', { kind: 'string-file', key: 'text', path: 'notes.txt' }],
    ['file@talk.wav', { kind: 'upload', key: 'file', path: 'talk.wav' }],
    ['file@talk.wav;type=audio/wav', { kind: 'upload', key: 'file', path: 'talk.wav', type: 'audio/wav' }],
    ['file@a\\;b.wav;type=audio/wav', { kind: 'upload', key: 'file', path: 'a;b.wav', type: 'audio/wav' }],
    ['file@a;b.wav', { kind: 'upload', key: 'file', path: 'a;b.wav' }],
    ['X-Trace:abc', { kind: 'header', name: 'X-Trace', value: 'abc' }],
    ['X-Trace: a b ', { kind: 'header', name: 'X-Trace', value: 'a b' }],
    ['X-Empty;', { kind: 'header', name: 'X-Empty', value: '' }],
    ['api-version==2024-10-21', { kind: 'query', name: 'api-version', value: '2024-10-21' }],
    ['messages[0][role]=user', { kind: 'string', key: 'messages[0][role]', value: 'user' }],
    // The leftmost separator decides: a URL or an email in a value stays in the value.
    ['url=http://host:8090/x', { kind: 'string', key: 'url', value: 'http://host:8090/x' }],
    ['to=me@example.com', { kind: 'string', key: 'to', value: 'me@example.com' }],
    ['Referer:http://a=b', { kind: 'header', name: 'Referer', value: 'http://a=b' }],
    // Escapes.
    ['a\\=b=c', { kind: 'string', key: 'a=b', value: 'c' }],
    ['time\\:12=noon', { kind: 'string', key: 'time:12', value: 'noon' }],
    ['user\\@host=x', { kind: 'string', key: 'user@host', value: 'x' }],
    ['handle=\\@me', { kind: 'string', key: 'handle', value: '@me' }],
    ['eq=a\\=b', { kind: 'string', key: 'eq', value: 'a=b' }],
    ['path=C:\\temp', { kind: 'string', key: 'path', value: 'C:\\temp' }],
    ['empty=', { kind: 'string', key: 'empty', value: '' }],
    // `\\` is one literal backslash, as in httpie: in a value it is decoded here, in a key it stays escaped for the nested-key parser.
    ['path=C:\\\\dir', { kind: 'string', key: 'path', value: 'C:\\dir' }],
    ['dir\\\\=x', { kind: 'string', key: 'dir\\\\', value: 'x' }],
    ['end=back\\\\', { kind: 'string', key: 'end', value: 'back\\' }],
  ])('%s', (item, expected) => {
    expect(parseRequestItem(item)).toEqual(expected);
  });

  it('a key ending in an escaped backslash names that key, as httpie reads it', () => {
    const item = parseRequestItem('dir\\\\=x');
    expect(item.kind === 'string' && setJsonPath(undefined, item.key, item.value)).toEqual({ 'dir\\': 'x' });
  });

  it.each([
    ['Hola', /not a request item/],
    ['=x', /no name before "="/],
    ['k=@', /names no file/],
    ['f@', /names no file/],
  ])('%s is a usage error', (item, message) => {
    expect(() => parseRequestItem(item)).toThrow(UsageError);
    expect(() => parseRequestItem(item)).toThrow(message);
  });
});

describe('nested keys', () => {
  it('parses steps', () => {
    expect(parseJsonPath('messages[0][role]')).toEqual(['messages', 0, 'role']);
    expect(parseJsonPath('tags[]')).toEqual(['tags', null]);
    expect(parseJsonPath('[1]')).toEqual([1]);
    expect(parseJsonPath('a\\[b\\]')).toEqual(['a[b]']);
    expect(parseJsonPath('plain')).toEqual(['plain']);
  });

  it('builds objects and arrays as the steps need them, and merges into a base', () => {
    let body: unknown = { model: 'm', messages: [{ role: 'system', content: 'be brief' }] };
    body = setJsonPath(body, 'messages[1][role]', 'user');
    body = setJsonPath(body, 'messages[1][content]', 'Hola');
    body = setJsonPath(body, 'options[temperature]', 0.2);
    body = setJsonPath(body, 'tags[]', 'a');
    body = setJsonPath(body, 'tags[]', 'b');
    expect(body).toEqual({
      model: 'm',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'Hola' }],
      options: { temperature: 0.2 },
      tags: ['a', 'b'],
    });
  });

  it('fills a gap in an array with null, and makes a top-level array from [n]', () => {
    expect(setJsonPath(undefined, 'a[2]', 'x')).toEqual({ a: [null, null, 'x'] });
    expect(setJsonPath(undefined, '[0][name]', 'x')).toEqual([{ name: 'x' }]);
  });

  it('keeps __proto__ a plain key', () => {
    const body = setJsonPath(undefined, '__proto__[polluted]', 'yes') as Record<string, unknown>;
    expect(JSON.stringify(body)).toBe('{"__proto__":{"polluted":"yes"}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    [{ a: 'text' }, 'a[b]', /cannot set key "b" in a, which is a string/],
    [{ a: {} }, 'a[0]', /cannot index \[0\] into a, which is an object/],
    [[], 'a', /cannot set key "a" in the body, which is an array/],
    [undefined, 'a[b', /never closed/],
    [undefined, 'a]', /no "\[" before it/],
    [undefined, 'a[b]c', /after a "\]"/],
    [undefined, 'a[1000001]', /too large/],
  ])('%j then %s is a usage error', (base, key, message) => {
    expect(() => setJsonPath(structuredClone(base), key, 1)).toThrow(message);
  });
});
