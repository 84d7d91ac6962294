// `llmpass call` end to end: streamed and piped output, output flags, on a terminal, help.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sseChunks, status } from '../fixtures/fake-upstream.ts';
import { baseEnv, BIN, call, runCli, runShell, SCRIPT, shellQuote, spawnCli, until } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { SERVED, SEED_ALIAS, VLLM_KEY, vllmKeyed, seedTap, project, fake, json, expectOk, expectOneLineError, type Echoed, useCallFixture } from './call-fixture.ts';

useCallFixture();

describe('streaming responses', () => {
  const EVENTS = ['{"n":1}', '{"n":2}', '{"n":3}', 'event: note\ndata: {"text":"four"}', '{"n":5}', '[DONE]'];
  const RAW = 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\nevent: note\ndata: {"text":"four"}\n\ndata: {"n":5}\n\ndata: [DONE]\n\n';

  it('SSE is written as it arrives: stdout chunks are spread over the stream\'s time (piped, byte for byte)', async () => {
    const sse = await fake(sseChunks(EVENTS, 200));
    const started = performance.now();
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'v1/chat/completions', '--api-base', sse.url, '--json', '{"stream":true}'], cwd: tempDir() });
    const result = await running.result;
    expectOk(result);
    expect(result.stdout.toString()).toBe(RAW);
    const times = running.chunks.map((chunk) => chunk.at - started);
    expect(running.chunks.length, `chunks at ${times.map(Math.round).join(', ')} ms`).toBeGreaterThanOrEqual(4);
    // Five 200 ms gaps upstream: a buffering CLI would write everything at once after the last event.
    const spread = running.chunks.at(-1)!.at - running.chunks[0]!.at;
    expect(spread, `chunks at ${times.map(Math.round).join(', ')} ms`).toBeGreaterThan(600);
    expect(running.chunks[0]!.data.toString()).toMatch(/^data: \{"n":1\}\n\n/);
  });

  it('--pretty renders events one per line as they arrive, even when piped', async () => {
    const sse = await fake(sseChunks(EVENTS, 100));
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'v1/chat/completions', '--api-base', sse.url, '--json', '{"stream":true}', '--pretty'], cwd: tempDir() });
    const result = await running.result;
    expectOk(result);
    expect(result.stdout.toString()).toBe('{"n":1}\n{"n":2}\n{"n":3}\nevent: note {"text":"four"}\n{"n":5}\n[DONE]\n');
    expect(running.chunks.length).toBeGreaterThanOrEqual(3);
    expect(running.chunks.at(-1)!.at - running.chunks[0]!.at).toBeGreaterThan(250);
  });

  it('a vLLM chat stream through an alias ends with [DONE]', async () => {
    const result = await call(project, ['roberta-no-v1', 'v1/chat/completions', '--json', '{"stream":true,"messages":[{"role":"user","content":"Hello there"}]}']);
    expectOk(result);
    const text = result.stdout.toString();
    expect(text.startsWith('data: {')).toBe(true);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('output', () => {
  it('a piped body is byte-exact: odd whitespace, CRLF, non-UTF-8 bytes, no trailing newline added', async () => {
    const odd = Buffer.concat([Buffer.from('{ "a" :1 ,\r\n\t"b":"\u00e9\u2028" ,"c":[ ] }  \n\n  '), Buffer.from([0xff, 0xc3, 0x28, 0x00])]);
    const server = await fake(status(200, odd, { 'content-type': 'application/json' }));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}']);
    expectOk(result);
    expect(result.stdout.equals(odd)).toBe(true);
  });

  it('--include prints the status line and headers, then the body', async () => {
    const server = await fake(status(201, '{"ok":true}', { 'content-type': 'application/json', 'x-upstream': 'yes' }));
    const result = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--include', '--json', '{}']);
    expectOk(result);
    const text = result.stdout.toString();
    const [head, body] = text.split('\n\n');
    const lines = head!.split('\n');
    expect(lines[0]).toBe('HTTP/1.1 201 Created');
    expect(lines).toContain('content-type: application/json');
    expect(lines).toContain('x-upstream: yes');
    expect(body).toBe('{"ok":true}');
  });

  it('--include on a 4xx shows its status line, and the exit code is still 4', async () => {
    const result = await call(project, ['wrong-model', 'classify', '-i', '--json', '{"input":"hi"}']);
    expect(result.code).toBe(4);
    expect(result.stdout.toString().split('\n')[0]).toBe('HTTP/1.1 404 Not Found');
  });

  it('`| head -c 20` closing the pipe early ends the call quietly with the status\'s exit code, dropping the upstream request', async () => {
    const server = await fake(sseChunks(Array.from({ length: 30 }, (_, n) => `{"n":${n}}`), 50));
    const command = [process.execPath, BIN, 'call', 'hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'].map(shellQuote).join(' ');
    const result = await runShell(`{ ${command}; echo "exit=$?" >&2; } | head -c 20`, tempDir());
    expect(result.stdout.toString()).toBe('data: {"n":0}\n\ndata:');
    expect(result.stderr).toBe('exit=0\n');
    await until(() => server.requests[0]!.aborted);
  });

  // Spawned by a Node program, stdout is a socket pair: once the reader closes it, run-call.ts returns on
  // OutputClosedError, but oclif's flush() (awaited by execute() in src/cli/run.ts) waits for a 'drain' that
  // never comes behind an unref'd timer, so Node exits 13 with "Warning: Detected unsettled top-level await at
  // bin/run.js:7" on stderr.
  it('a Node parent that closes the CLI\'s stdout early gets exit 0 and no message', async () => {
    const server = await fake(sseChunks(Array.from({ length: 20 }, (_, n) => `{"n":${n}}`), 100));
    const running = spawnCli({ args: ['call', 'hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'], cwd: tempDir() });
    await until(() => running.chunks.length > 0);
    running.child.stdout!.destroy();
    const result = await running.result;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('--output FILE writes the body to the file, nothing to stdout', async () => {
    const dir = tempDir();
    const result = await call(project, ['echo', 'x', '--json', '{"input":"to a file"}', '--output', join(dir, 'out.json')]);
    expectOk(result);
    expect(result.stdout.length).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Echoed).json).toEqual({ model: 'echo-model', input: 'to a file' });
  });

  // Once, an unwritable path crashed Node with "Unhandled 'error' event"; then it was found only after the call had
  // gone out (a paid one, its answer lost). The path is checked first now.
  it('--output to a path that cannot be written is a one-line error before anything is sent', async () => {
    // Were it sent: the upstream sends its headers, then holds the body open, and the CLI must not wait for it.
    const held = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    });
    const outputs = [join(tempDir(), 'no', 'such', 'dir', 'out.json'), tempDir()];
    const results = await Promise.all(outputs.map((output) =>
      call(project, ['hosted_vllm/m', 'x', '--api-base', held.url, '--json', '{}', '--output', output], { timeoutMs: 10_000 }),
    ));
    for (const result of results) {
      expect(result.timedOut, 'the CLI waited for a body it had nowhere to write').toBe(false);
      expect(result.code).not.toBe(0);
      expectOneLineError(result, /--output .*cannot write \((ENOENT|EISDIR)\)/);
    }
    expect(held.requests, 'the call went out with nowhere to put its answer').toEqual([]);
  });

  it('--pretty indents JSON even when piped, without colour', async () => {
    const result = await call(project, ['echo', 'x', '--pretty', '--json', '{"input":"hi"}']);
    expectOk(result);
    const text = result.stdout.toString();
    expect(text).toMatch(/^\{\n {2}"method": "POST",\n/);
    expect(text).not.toContain('\u001b[');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('--verbose shows the request and the routing on stderr, the key masked as $VAR; stdout is just the body', async () => {
    const result = await call(project, ['keyed-vllm', 'v1/chat/completions', '--verbose', '--json', '{"messages":[{"role":"user","content":"hi"}]}'], {
      env: baseEnv({ MY_VLLM_KEY: VLLM_KEY }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`> POST ${vllmKeyed.url}/v1/chat/completions`);
    expect(result.stderr).toContain('> authorization: Bearer $MY_VLLM_KEY');
    expect(result.stderr).toContain('< HTTP 200 OK');
    expect(result.stderr).not.toContain(VLLM_KEY);
    expect(json(result)).toMatchObject({ object: 'chat.completion' });
  });

  it('--dry-run prints the resolved request without sending it, the key as $VAR', async () => {
    const before = vllmKeyed.requests.length;
    const result = await call(project, ['keyed-vllm', 'classify', '--dry-run', '--json', '{"model":"keyed-vllm","input":"hi"}'], { env: baseEnv({ MY_VLLM_KEY: VLLM_KEY }) });
    expectOk(result);
    expect(result.stdout.toString()).toBe(
      `POST ${vllmKeyed.url}/classify\ncontent-type: application/json\nauthorization: Bearer $MY_VLLM_KEY\n\n{"model":"${SERVED}","input":"hi"}\n`,
    );
    expect(vllmKeyed.requests.length).toBe(before);
  });

  it('--curl prints an equivalent curl command without sending it; a key from a flag shows as ***', async () => {
    const before = vllmKeyed.requests.length;
    const fromEnv = await call(project, ['keyed-vllm', 'classify', '--curl', '--json', '{"input":"it\'s"}'], { env: baseEnv({ MY_VLLM_KEY: VLLM_KEY }) });
    expectOk(fromEnv);
    expect(fromEnv.stdout.toString()).toBe(
      `curl -X POST '${vllmKeyed.url}/classify' -H 'content-type: application/json' -H 'authorization: Bearer '"$MY_VLLM_KEY" --data-raw '{"model":"${SERVED}","input":"it'\\''s"}'\n`,
    );
    const env = baseEnv({ MY_VLLM_KEY: 'sk-not-this-one' });
    const fromFlag = await call(project, ['keyed-vllm', 'classify', '--curl', '--api-key', VLLM_KEY, '--json', '{}'], { env });
    expectOk(fromFlag);
    expect(fromFlag.stdout.toString()).toContain("-H 'authorization: Bearer ***'");
    expect(fromFlag.stdout.toString()).not.toContain(VLLM_KEY);
    const dryFromFlag = await call(project, ['keyed-vllm', 'classify', '--dry-run', '--api-key', VLLM_KEY, '--json', '{}'], { env });
    expect(dryFromFlag.stdout.toString()).toContain('authorization: Bearer ***');
    expect(dryFromFlag.stdout.toString()).not.toContain('$MY_VLLM_KEY');
    expect(vllmKeyed.requests.length).toBe(before);
  });
});

describe.skipIf(!existsSync(SCRIPT))('on a terminal', () => {
  const args = [SEED_ALIAS, 'classify', '--json', '{"input":"Hello, world!"}'];
  const ESC = '\u001b[';

  it('JSON is pretty-printed (indented) and coloured', async () => {
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true });
    expect(result.code, result.stdout.toString()).toBe(0);
    const text = result.stdout.toString();
    expect(text).toContain(ESC);
    const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/^\{\n {2}"id": "classify-/);
    expect(plain).toContain('\n  "data": [\n    {\n      "index": 0,\n      "label": "en",');
    expect(JSON.parse(plain)).toMatchObject({ model: SERVED });
  });

  it('NO_COLOR=1 keeps it pretty but plain', async () => {
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, env: baseEnv({ NO_COLOR: '1' }) });
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).not.toContain(ESC);
    expect(text).toMatch(/^\{\n {2}"id": /);
    expect((JSON.parse(text) as { data: Array<{ label: string }> }).data[0]!.label).toBe('en');
  });

  it('FORCE_COLOR=0 disables colour', async () => {
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, env: baseEnv({ FORCE_COLOR: '0' }) });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).not.toContain(ESC);
    expect(result.stdout.toString()).toMatch(/^\{\n {2}"id": /);
  });

  it('--raw prints the upstream\'s bytes even on a terminal', async () => {
    const result = await runCli({ args: ['call', ...args, '--raw'], cwd: project, tty: true });
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).not.toContain(ESC);
    expect(text.startsWith('{"id":"classify-')).toBe(true);
    expect(text).not.toContain('\n');
  });

  it('SSE is rendered event by event on a terminal', async () => {
    const sse = await fake(sseChunks(['{"n":1}', 'event: done\ndata: {}', '[DONE]'], 20));
    const result = await runCli({ args: ['call', 'hosted_vllm/m', 'x', '--api-base', sse.url, '--json', '{}'], cwd: tempDir(), tty: true, env: baseEnv({ NO_COLOR: '1' }) });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe('{"n":1}\nevent: done {}\n[DONE]\n');
  });

  it('without CI a spinner is drawn on stderr while waiting, then cleared, and the body printed', async () => {
    const env = baseEnv({ CI: undefined, NO_COLOR: '1' });
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, columns: 120, env, timeoutMs: 8_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).toContain(`${SEED_ALIAS} → ${seedTap.url}/classify`);
    // The body, then the footer line (status, times) on stderr.
    const body = text.slice(text.indexOf('{\n'), text.lastIndexOf('}\n') + 1);
    expect((JSON.parse(body.replace(/\u001b\[\?25h/g, '')) as { data: Array<{ label: string }> }).data[0]!.label).toBe('en');
    expect(text.replace(/\u001b\[\?25h/g, '').trimEnd().split('\n').at(-1)).toMatch(/^HTTP 200 OK · \d+\.\d\d s · first byte/);
  });

  it('TERM=dumb draws no spinner: a terminal that cannot redraw a line would keep it for good', async () => {
    const env = baseEnv({ CI: undefined, NO_COLOR: '1', TERM: 'dumb' });
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, columns: 120, env, timeoutMs: 8_000 });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).not.toContain(`${SEED_ALIAS} → `);
  });

  // A pseudo-terminal of 0 columns (what `script` makes without a real terminal, as in CI or `docker exec -t`):
  // stopping ora's spinner (src/cli/render/spinner.ts, started from src/cli/call/run-call.ts) then loops forever writing
  // cursor-up/erase sequences; the body is never printed, memory grows by GBs and, with the event loop blocked,
  // SIGTERM does not stop it (only SIGKILL).
  it('with a spinner on a 0-column terminal the call still finishes', async () => {
    const env = baseEnv({ CI: undefined, NO_COLOR: '1' });
    const result = await runCli({ args: ['call', ...args], cwd: project, tty: true, columns: 0, env, timeoutMs: 3_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
  });
});

describe('help', () => {
  it('llmpass call --help exits 0 and shows the examples and the exit-code table', async () => {
    const result = await runCli({ args: ['call', '--help'], cwd: tempDir() });
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).toContain('EXAMPLES');
    expect(text).toContain(`llmpass call ${SEED_ALIAS} classify --json`);
    expect(text).toContain('EXIT CODES');
    for (const code of ['0 a 2xx answer', '2 usage or config mistake', '3 unreachable or timed out', '4 a 4xx answer', '5 a 5xx answer', '130 interrupted']) {
      expect(text).toContain(code);
    }
  });

  it('llmpass --help exits 0 and lists call', async () => {
    const result = await runCli({ args: ['--help'], cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/^\s+call\s+Send a payload/m);
  });

  // The root help (oclif's) shows VERSION, USAGE and COMMANDS only: no examples and no exit-code table, which
  // live in `call --help` alone (src/commands/call.ts; nothing sets them for the root).
  it('llmpass --help shows examples and the exit-code table', async () => {
    const result = await runCli({ args: ['--help'], cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('EXAMPLES');
    expect(result.stdout.toString()).toContain('EXIT CODES');
  });
});
