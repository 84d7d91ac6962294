// `llmpass call` end to end: every exit code, and errors in one line.
import { describe, expect, it } from 'vitest';
import { hang, resetBeforeHeaders, resetMidBody, sequence, slowChunks, sseChunks, status } from '../fixtures/fake-upstream.ts';
import { baseEnv, call, deadPort, spawnCli, stackLines, until } from '../support/cli.ts';
import { tempConfig, tempDir } from '../support/tmp.ts';
import { upstream, project, fake, json, expectOk, expectOneLineError, useCallFixture } from './call-fixture.ts';

useCallFixture();

describe('exit codes', () => {
  it('0 for a 2xx answer', async () => {
    expect((await call(project, ['echo', 'x', '--json', '{}'])).code).toBe(0);
  });

  it('4 for a 4xx answer (a model vLLM does not serve), the body still printed', async () => {
    const result = await call(project, ['wrong-model', 'classify', '--json', '{"input":"hi"}']);
    expect(result.code).toBe(4);
    expect(json(result)).toEqual({ error: { message: 'The model `some-other-model` does not exist.', type: 'NotFoundError', param: null, code: 404 } });
    expect(result.stderr).toBe('');
  });

  it('5 for a 5xx answer, the body still printed', async () => {
    const server = await fake(status(500, { error: 'boom' }));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--retries', '0', '--json', '{}']);
    expect(result.code).toBe(5);
    expect(result.stdout.toString()).toBe('{"error":"boom"}');
    expect(server.requests).toHaveLength(1);
  });

  it('a 503 is retried (--retries 1) and the 2xx that follows is exit 0', async () => {
    const server = await fake(sequence(status(503, { error: 'busy' }, { 'retry-after': '0' }), status(200, '{"ok":1}', { 'content-type': 'application/json' })));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--retries', '1', '--json', '{}']);
    expectOk(result);
    expect(result.stdout.toString()).toBe('{"ok":1}');
    expect(server.requests).toHaveLength(2);
  });

  it('3 when the upstream refuses the connection, in one line naming the URL', async () => {
    const port = await deadPort();
    const result = await call(tempDir(), ['hosted_vllm/m', 'classify', '--api-base', `http://127.0.0.1:${port}`, '--retries', '0', '--json', '{}']);
    expect(result.code).toBe(3);
    expectOneLineError(result, new RegExp(`127\\.0\\.0\\.1:${port}/classify.*connection refused`));
    expect(result.stdout.length).toBe(0);
  });

  it('3 when the upstream hangs past --timeout 1', async () => {
    const server = await fake(hang());
    const started = Date.now();
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--timeout', '1', '--retries', '0', '--json', '{}']);
    expect(result.code).toBe(3);
    expectOneLineError(result, /no answer within 1s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('3 when the upstream hangs past litellm_params.timeout from the config', async () => {
    const server = await fake(hang());
    const dir = tempConfig(`model_list:\n  - model_name: slow\n    litellm_params: { model: hosted_vllm/m, api_base: "${server.url}", timeout: 1 }\nrouter_settings: { num_retries: 0 }\n`);
    const started = Date.now();
    const result = await call(dir, ['slow', 'x', '--json', '{}']);
    expect(result.code).toBe(3);
    expectOneLineError(result, /no answer within 1s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('3 when a body goes silent for longer than --timeout mid-stream, after printing what came', async () => {
    const server = await fake(slowChunks(['first ', 'second'], 2_500));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--timeout', '1', '--retries', '0', '--json', '{}']);
    expect(result.code).toBe(3);
    expect(result.stdout.toString()).toBe('first ');
    expectOneLineError(result, /went silent for 1s/);
  });

  it('3 when the connection is reset before the answer or in the middle of the body', async () => {
    const early = await fake(resetBeforeHeaders());
    const before = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', early.url, '--retries', '0', '--json', '{}']);
    expect(before.code).toBe(3);
    expectOneLineError(before);
    const mid = await fake(resetMidBody(10));
    const cut = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', mid.url, '--retries', '0', '--json', '{}']);
    expect(cut.code).toBe(3);
    expectOneLineError(cut, /cut short/);
    expect(cut.stdout.length).toBeLessThanOrEqual(10);
  });

  it('2 for an unknown alias: names the config file and suggests the closest alias', async () => {
    const result = await call(project, ['roberta-base-langauge-detection', 'classify', '--json', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /unknown model "roberta-base-langauge-detection".*llmpass\.config\.yaml.*did you mean "roberta-base-language-detection"\?/);
  });

  it('2 for a bad flag, a bad flag value and a missing argument', async () => {
    for (const args of [['echo', 'x', '--bogus'], ['echo', 'x', '--timeout', 'soon'], ['echo'], ['echo', 'x', '--retries', '-1']]) {
      const result = await call(project, args);
      expect(result.code, args.join(' ')).toBe(2);
      expectOneLineError(result);
    }
  });

  it('2 for a broken config, naming the file and the path in it', async () => {
    const dir = tempConfig(`model_list:
  - model_name: a
    litellm_params: { model: hosted_vllm/a, api_base: "http://127.0.0.1:1" }
  - model_name: b
    litellm_params: { model: hosted_vllm/b, api_base: "http://127.0.0.1:1" }
  - model_name: c
    litellm_params: { model: hosted_vllm/c, api_base: "htp:/x" }
`);
    const result = await call(dir, ['a', 'classify', '--json', '{}']);
    expect(result.code).toBe(2);
    expectOneLineError(result, /^llmpass: llmpass\.config\.yaml: model_list\[2\]\.litellm_params\.api_base: not a URL \("htp:\/x"\)$/);
    const yaml = tempConfig('model_list:\n  - model_name: a\n    litellm_params: { model: [oops\n');
    const broken = await call(yaml, ['a', 'classify', '--json', '{}']);
    expect(broken.code).toBe(2);
    expectOneLineError(broken, /llmpass\.config\.yaml/);
    const named = await call(tempDir(), ['a', 'classify', '--config', 'nowhere.yaml', '--json', '{}']);
    expect(named.code).toBe(2);
    expectOneLineError(named, /nowhere\.yaml \(from --config\) does not exist/);
  });

  it('2 for a flag value oclif refuses, in one line that names the flag and says what it expected', async () => {
    const result = await call(project, ['echo', 'x', '--retries', '1.5', '--json', '{}']);
    expect(result.code).toBe(2);
    expect(result.stderr.toString()).toBe('llmpass: --retries: expected an integer but received: 1.5 (see llmpass --help)\n');
  });

  it('2 for invalid --json, and nothing is sent', async () => {
    const before = upstream.requests.length;
    const result = await call(project, ['echo', 'x', '--json', '{"input":']);
    expect(result.code).toBe(2);
    // Each says how to send what is not JSON, the way that works for where it came from.
    expectOneLineError(result, /--json is not valid JSON .*; for a body that is not JSON, use --data with --header 'content-type: \.\.\.'$/);
    const stdin = await call(project, ['echo', 'x'], { input: 'not json' });
    expect(stdin.code).toBe(2);
    expectOneLineError(stdin, /stdin is not valid JSON .*; to send it as is, set --header 'content-type: \.\.\.'$/);
    const empty = await call(project, ['echo', 'x', '--json', '']);
    expectOneLineError(empty, /--json is not valid JSON \(it ends early, at position 0\)$/);
    expect(upstream.requests.length).toBe(before);
  });

  it('130 on SIGINT while the upstream hangs, and the upstream request is aborted', async () => {
    const server = await fake(hang());
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'], cwd: tempDir() });
    await until(() => server.requests.length === 1);
    running.child.kill('SIGINT');
    const result = await running.result;
    expect(result.code).toBe(130);
    expectOneLineError(result, /interrupted/);
    await until(() => server.requests[0]!.aborted);
  });

  it('130 on SIGINT in the middle of a stream, the part already received printed', async () => {
    const server = await fake(sseChunks(['{"n":1}', '{"n":2}', '{"n":3}'], 2_000));
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'], cwd: tempDir() });
    await until(() => running.chunks.length > 0);
    running.child.kill('SIGINT');
    const result = await running.result;
    expect(result.code).toBe(130);
    expect(result.stdout.toString()).toBe('data: {"n":1}\n\n');
    await until(() => server.requests[0]!.aborted);
  });
});

describe('errors', () => {
  it('are one line without a stack trace, and --debug adds the stack', async () => {
    const port = await deadPort();
    const args = ['hosted_vllm/m', 'x', '--api-base', `http://127.0.0.1:${port}`, '--retries', '0', '--json', '{}'];
    const plain = await call(tempDir(), args);
    expect(plain.code).toBe(3);
    expectOneLineError(plain);
    const debug = await call(tempDir(), [...args, '--debug']);
    expect(debug.code).toBe(3);
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.split('\n')[0]);
    expect(stackLines(debug.stderr).length).toBeGreaterThan(0);
    const viaEnv = await call(tempDir(), args, { env: baseEnv({ DEBUG: 'llmpass*' }) });
    expect(stackLines(viaEnv.stderr).length).toBeGreaterThan(0);
  });

  it('a usage error is one line too, with or without --debug', async () => {
    const result = await call(project, ['no-such-alias', 'x', '--json', '{}']);
    expectOneLineError(result);
    const debug = await call(project, ['no-such-alias', 'x', '--json', '{}', '--debug']);
    expect(debug.code).toBe(2);
    expect(debug.stderr.split('\n')[0]).toBe(result.stderr.trimEnd());
  });
});
