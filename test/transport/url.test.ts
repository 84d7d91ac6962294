import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { findProvider, listProviders } from '../../src/providers/registry.ts';
import { appendQuery, displayUrl, joinEndpoint, splitEndpoint } from '../../src/transport/url.ts';

const vllm = findProvider('hosted_vllm')!;
const openai = findProvider('openai')!;

describe('joinEndpoint: every provider\'s documented examples', () => {
  const providers = listProviders();

  it('the registry documents at least one example for the built-in providers', () => {
    expect(providers.length).toBeGreaterThan(5);
    for (const id of ['hosted_vllm', 'openai', 'anthropic', 'gemini', 'azure', 'cohere', 'ollama']) {
      expect(findProvider(id)?.joinExamples.length, id).toBeGreaterThan(0);
    }
  });

  for (const provider of providers) {
    describe(provider.id, () => {
      for (const [base, endpoint, expected] of provider.joinExamples) {
        it(`${base} + ${endpoint} → ${expected}`, () => {
          expect(joinEndpoint(base, endpoint, provider.join).href).toBe(expected);
        });
      }
    });
  }
});

describe('joinEndpoint: bases, prefixes and queries', () => {
  it('joins with exactly one slash whatever the slashes on either side', () => {
    for (const base of ['http://h:8000', 'http://h:8000/']) {
      for (const endpoint of ['classify', '/classify', 'classify/', '/classify/']) {
        expect(joinEndpoint(base, endpoint).href).toBe('http://h:8000/classify');
      }
    }
    expect(joinEndpoint('http://h/a//', 'b//c').href).toBe('http://h/a/b/c');
  });

  it('keeps the base path of a gateway (prefix) for every rule', () => {
    expect(joinEndpoint('https://gw.example/team-a', 'v1/chat/completions').href).toBe('https://gw.example/team-a/v1/chat/completions');
    expect(joinEndpoint('https://gw.example/team-a/v1', 'classify', vllm.join).href).toBe('https://gw.example/team-a/classify');
    expect(joinEndpoint('https://gw.example/team-a/v1', 'v1/chat/completions', vllm.join).href).toBe('https://gw.example/team-a/v1/chat/completions');
    expect(joinEndpoint('https://gw.example/proxy/openai/v1', 'chat/completions', openai.join).href).toBe('https://gw.example/proxy/openai/v1/chat/completions');
    expect(joinEndpoint('https://gw.example/proxy/openai/v1/', 'v1/embeddings', openai.join).href).toBe('https://gw.example/proxy/openai/v1/embeddings');
  });

  it('strips vLLM\'s /v1 only as a suffix of the base, never in the middle', () => {
    expect(joinEndpoint('http://h/v1/x', 'classify', vllm.join).href).toBe('http://h/v1/x/classify');
    expect(joinEndpoint('http://h/v10', 'classify', vllm.join).href).toBe('http://h/v10/classify');
  });

  it('collapses the /v1 seam only at a whole segment', () => {
    expect(joinEndpoint('https://api.openai.com/v1', 'v1beta/models', openai.join).href).toBe('https://api.openai.com/v1/v1beta/models');
    expect(joinEndpoint('https://h/v1', 'v1', openai.join).href).toMatch(/^https:\/\/h\/v1\/?$/);
  });

  it('keeps the endpoint\'s query string (repeated keys included) and drops a fragment', () => {
    expect(joinEndpoint('http://h:8000', 'score?x=1&x=2&y=a%20b').href).toBe('http://h:8000/score?x=1&x=2&y=a%20b');
    expect(joinEndpoint('http://h:8000/v1', 'score?x=1#frag', vllm.join).href).toBe('http://h:8000/score?x=1');
  });

  it('appendQuery adds pairs after the endpoint\'s own query, keeping repeated keys', () => {
    const url = joinEndpoint('http://h', 'x?a=1');
    appendQuery(url, [['a', '2'], ['b', 'c d'], ['a', '3']]);
    expect(url.search).toBe('?a=1&a=2&b=c+d&a=3');
    expect(url.searchParams.getAll('a')).toEqual(['1', '2', '3']);
  });

  it('keeps the port and the scheme of the base', () => {
    expect(joinEndpoint('https://h:8443/p', 'q').href).toBe('https://h:8443/p/q');
  });
});

describe('joinEndpoint: refusals', () => {
  const base = 'https://gw.example/team-a';
  const refused: Array<[string, string]> = [
    ['http://evil.example/x', 'an absolute http URL'],
    ['https://evil.example', 'an absolute https URL'],
    ['HTTP://evil.example/x', 'a scheme in capitals'],
    ['javascript:alert(1)', 'another scheme'],
    ['file:///etc/passwd', 'a file URL'],
    ['//evil.example/x', 'a protocol-relative URL'],
    ['  //evil.example/x', 'a protocol-relative URL after spaces'],
    ['../x', 'a leading ..'],
    ['a/../../x', '.. in the middle'],
    ['a/..', 'a trailing ..'],
    ['./x', 'a . segment'],
    ['%2e%2e/x', '%2e%2e'],
    ['%2E%2E/x', '%2E%2E'],
    ['.%2e/x', '.%2e'],
    ['%2e./x', '%2e.'],
    ['a/%2e%2e/%2e%2e/x', 'encoded .. in the middle'],
    ['%2e%2e%2fx', '..%2f as one segment'],
    ['..%5cx', '..%5c as one segment'],
    ['a%2f..', 'a segment ending in %2f..'],
    ['a\\..\\x', 'backslashes'],
    ['\\\\evil.example\\x', 'a UNC-like path'],
    ['a\\b', 'a lone backslash'],
    ['a\nb', 'a newline'],
    ['a\rb', 'a carriage return'],
    ['a\u0000b', 'a NUL'],
    ['a\tb', 'a tab'],
    ['a\u001bb', 'an escape'],
    ['a\u007fb', 'DEL'],
    ['a/%zz', 'a malformed %-escape'],
    // The URL parser drops the spaces that end a URL: a last segment `%252e. ` would reach the server as `%252e.`.
    ['%252e. /', 'a double-encoded . segment whose trailing space the URL would drop'],
    ['x/%252e%252e /', 'a double-encoded .. segment whose trailing space the URL would drop'],
    ['.. /x', 'a .. segment with a space after it'],
  ];
  for (const [endpoint, what] of refused) {
    it(`refuses ${what}: ${JSON.stringify(endpoint)}`, () => {
      expect(() => joinEndpoint(base, endpoint)).toThrow(UsageError);
      expect(() => joinEndpoint(base, endpoint, vllm.join)).toThrow(UsageError);
      expect(() => joinEndpoint(base, endpoint, openai.join)).toThrow(UsageError);
    });
  }

  it('names the endpoint and says why', () => {
    expect(() => joinEndpoint(base, 'https://evil.example/x')).toThrow(/endpoint "https:\/\/evil\.example\/x" is a URL/);
    expect(() => joinEndpoint(base, '../x')).toThrow(/"\." or "\.\." segment/);
    expect(() => joinEndpoint(base, 'a\\b')).toThrow(/backslash or a control character/);
    // The message shows a control character escaped, never raw (it would break the one-line error).
    let message = '';
    try {
      joinEndpoint(base, 'a\nb');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('a\\nb');
    expect(message).not.toContain('\n');
  });

  // `..` hidden behind an encoded slash is still a `..` segment for any server that decodes %2F before routing;
  // url.ts says ".. (however encoded) are refused", but only a leading "../" or a trailing "/.." inside one
  // decoded segment is caught.
  it('refuses .. between encoded slashes inside one segment (a%2f..%2f..%2fx)', () => {
    expect(() => joinEndpoint(base, 'a%2f..%2f..%2fadmin')).toThrow(UsageError);
  });

  it('never leaves the base origin for anything it accepts', () => {
    const accepted = ['x', 'x/y', 'x..y', '..x', 'x..', '...', 'x%2fy', 'a%20b', 'models/gemini:generateContent', '%41'];
    for (const endpoint of accepted) {
      const url = joinEndpoint(base, endpoint);
      expect(url.origin, endpoint).toBe('https://gw.example');
      expect(url.pathname.startsWith('/team-a/'), endpoint).toBe(true);
    }
  });
});

describe('joinEndpoint: joins kept for the next request', () => {
  it('answers a repeated join with a fresh URL equal to the first: adding to one query leaves the next alone', () => {
    const first = joinEndpoint('http://h:8000/v1', 'v1/chat/completions?a=1', vllm.join);
    appendQuery(first, [['b', '2']]);
    const again = joinEndpoint('http://h:8000/v1', 'v1/chat/completions?a=1', vllm.join);
    expect(again).not.toBe(first);
    expect(again.href).toBe('http://h:8000/v1/chat/completions?a=1');
  });

  it('keeps joins apart by rule and by base', () => {
    // vLLM's rule strips the base's /v1; OpenAI's keeps it.
    expect(joinEndpoint('http://h/v1', 'x', vllm.join).href).toBe('http://h/x');
    expect(joinEndpoint('http://h/v1', 'x', openai.join).href).toBe('http://h/v1/x');
    expect(joinEndpoint('http://other/v1', 'x', vllm.join).href).toBe('http://other/x');
  });

  it('refuses a bad endpoint every time, before and after good ones were joined', () => {
    for (let i = 0; i < 3; i++) {
      expect(joinEndpoint('http://h/v1', 'x', vllm.join).href).toBe('http://h/x');
      expect(() => joinEndpoint('http://h/v1', '../x', vllm.join)).toThrow(UsageError);
    }
  });
});

describe('splitEndpoint and displayUrl', () => {
  it('splits path and query, trimming slashes', () => {
    expect(splitEndpoint('/v1/chat/completions/?stream=true')).toEqual({ path: 'v1/chat/completions', query: 'stream=true' });
    expect(splitEndpoint('classify')).toEqual({ path: 'classify', query: '' });
  });

  it('masks credential-like query values for display', () => {
    expect(displayUrl('https://h/x?key=abc&model=m')).toBe('https://h/x?key=***&model=m');
    expect(displayUrl('https://h/x?api_key=abc&token=t')).not.toMatch(/abc|=t\b/);
    expect(displayUrl('https://h/x?a=1')).toBe('https://h/x?a=1');
  });
});
