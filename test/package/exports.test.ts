import { describe, expect, it } from 'vitest';

// The package's run-time surface as published (dist/index.js, built by `npm test`'s pretest): the README's
// library section and nothing else, so that internals can be reorganised without breaking users. Adding a
// name here is a decision about the public API: document it in the README too.
const PUBLIC = [
  'AbortedError',
  'BodyTooLargeError',
  'ConfigError',
  'CredentialsError',
  'LlmpassError',
  'MissingSettingError',
  'NetworkError',
  'RateLimitedError',
  'RequestLog',
  'Router',
  'Secret',
  'UnknownModelError',
  'UnusableModelError',
  'UpstreamTimeoutError',
  'UsageError',
  'configFromObject',
  'loadConfig',
  'passthrough',
  'registerProvider',
  'requestLogSettings',
  'routerStateFromConfig',
];

describe('the package entry', () => {
  it('exports exactly the documented API at run time, at most 25 names', async () => {
    const entry = (await import(new URL('../../dist/index.js', import.meta.url).href)) as Record<string, unknown>;
    const names = Object.keys(entry).sort();
    expect(names).toEqual([...PUBLIC].sort());
    expect(names.length).toBeLessThanOrEqual(25);
  });
});
