// `llmpass call ... --jsonl` end to end: the built CLI spawned as a user runs it, against lean loopback upstreams.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, BIN, deadPort, runCli, runShell, SCRIPT, shellQuote, spawnCli, stackLines, until, type CliOptions, type CliResult } from '../support/cli.ts';
import { cleanupTemp, tempConfig, tempDir } from '../support/tmp.ts';
import { jsonl, startBatchUpstream, type BatchUpstream } from './batch-upstream.ts';

const servers: BatchUpstream[] = [];
let project: string;
let echo: BatchUpstream; // random latency, echoes the body
let pairA: BatchUpstream;
let pairB: BatchUpstream;
let flaky: BatchUpstream; // {"fail": status} answers that status
let slow: BatchUpstream; // 300 ms per answer
let firstSlow: BatchUpstream; // {"i": 1} answered after 400 ms, the others at once
let hang: BatchUpstream; // never answers
let limited: BatchUpstream; // 429 with Retry-After for a while
let limitedUntil = 0;

const iOf = (json: unknown) => (json as { i?: number } | undefined)?.i ?? 0;

beforeAll(async () => {
  assertBuilt();
  const start = async (...args: Parameters<typeof startBatchUpstream>) => {
    const server = await startBatchUpstream(...args);
    servers.push(server);
    return server;
  };
  echo = await start((seen) => ({ body: { echo: seen.json }, delayMs: Math.random() * 20 }));
  pairA = await start((seen) => ({ body: { from: 'a', i: iOf(seen.json) }, delayMs: 2 }));
  pairB = await start((seen) => ({ body: { from: 'b', i: iOf(seen.json) }, delayMs: 2 }));
  flaky = await start((seen) => {
    const fail = (seen.json as { fail?: number }).fail;
    return fail ? { status: fail, body: { error: { message: `failed with ${fail}` } } } : { body: { ok: iOf(seen.json) } };
  });
  slow = await start((seen) => ({ body: { i: iOf(seen.json) }, delayMs: 300 }));
  firstSlow = await start((seen) => ({ body: { i: iOf(seen.json) }, delayMs: iOf(seen.json) === 1 ? 400 : 0 }));
  hang = await start(() => ({ hang: true }));
  limited = await start(
    (seen) => {
      if (iOf(seen.json) === 20 && limitedUntil === 0) limitedUntil = performance.now() + 300;
      return performance.now() < limitedUntil ? { status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '0.5' } } : { body: { i: iOf(seen.json) }, delayMs: 3 };
    },
    { keep: true },
  );
  const dead = await deadPort();
  const alias = (name: string, base: string, model = `${name}-upstream`) => `  - model_name: ${name}\n    litellm_params:\n      model: hosted_vllm/${model}\n      api_base: ${base}\n`;
  project = tempConfig(
    `model_list:\n${alias('echo', echo.url)}${alias('pair', pairA.url)}${alias('pair', pairB.url)}${alias('flaky', flaky.url)}${alias('slow', slow.url)}${alias('firstslow', firstSlow.url)}` +
      `${alias('hang', hang.url)}${alias('down', `http://127.0.0.1:${dead}`)}${alias('limited', limited.url)}router_settings:\n  num_retries: 0\n`,
  );
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  cleanupTemp();
});

function batch(alias: string, flags: string[], input?: string, more: Partial<CliOptions> = {}): Promise<CliResult> {
  return runCli({ args: ['call', alias, 'classify', '--jsonl', ...flags], cwd: project, ...(input !== undefined && { input }), ...more });
}

function records(result: CliResult): Array<Record<string, unknown>> {
  const text = result.stdout.toString('utf8');
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text === '' ? [] : text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** stderr is the one summary line, `llmpass: ...`, and no stack. */
function summary(result: CliResult): string {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(stackLines(result.stderr)).toEqual([]);
  expect(lines[0]).toMatch(/^llmpass: /);
  return lines[0]!;
}

describe('llmpass call --jsonl', () => {
  it('answers each line with one compact JSON line, in input order under random latency', async () => {
    const result = await batch('echo', ['--concurrency', '16'], jsonl(300));
    expect(result.code, result.stderr).toBe(0);
    const out = records(result);
    expect(out).toHaveLength(300);
    expect(out.map((r) => iOf((r.echo as { i: number }) ?? {}))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(out[0]).toEqual({ echo: { model: 'echo-upstream', i: 1 } });
    expect(summary(result)).toMatch(/^llmpass: 300 lines in \d+\.\d s \([\d,]+\/s\): 300 ok$/);
    expect(echo.peak).toBeLessThanOrEqual(16);
  });

  it('--envelope: {"line", "status", "body"}, lines counted in the input, blank lines skipped', async () => {
    const result = await batch('echo', ['--envelope'], '{"i":1}\n\n{"i":2}\r\n');
    expect(result.code, result.stderr).toBe(0);
    expect(records(result)).toEqual([
      { line: 1, status: 200, body: { echo: { model: 'echo-upstream', i: 1 } } },
      { line: 3, status: 200, body: { echo: { model: 'echo-upstream', i: 2 } } },
    ]);
  });

  it('--unordered: each line as it finishes; in order otherwise', async () => {
    const unordered = await batch('firstslow', ['--unordered', '--envelope'], jsonl(6));
    expect(unordered.code, unordered.stderr).toBe(0);
    const lines = records(unordered).map((r) => r.line);
    expect(lines.at(-1)).toBe(1);
    expect([...lines].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const ordered = await batch('firstslow', ['--envelope'], jsonl(6));
    expect(records(ordered).map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a failing line in the middle is a {"line", "error"} record in its place; the others go on; exit 5 for a 5xx', async () => {
    const input = ['{"i":1}', '{"i":2}', 'not json', '{"i":4}', '{"i":5,"fail":500}', '{"i":6}', '{"i":7,"fail":404}', '{"i":8}'].join('\n');
    const result = await batch('flaky', [], input);
    expect(result.code).toBe(5);
    const out = records(result);
    expect(out).toHaveLength(8);
    expect(out[2]).toEqual({ line: 3, error: { code: 'LLMPASS_INVALID_JSON', message: expect.stringMatching(/^line 3 is not JSON/) } });
    expect(out[4]).toEqual({ line: 5, error: { status: 500, message: 'HTTP 500 Internal Server Error: failed with 500' } });
    expect(out[6]).toEqual({ line: 7, error: { status: 404, message: 'HTTP 404 Not Found: failed with 404' } });
    expect(out[7]).toEqual({ ok: 8 });
    expect(summary(result)).toMatch(/: 5 ok, 3 failed \(1 not JSON, 1 HTTP 500, 1 HTTP 404\)$/);
  });

  it('exit 4 when the worst is a 4xx, 1 when only lines were not JSON, 3 when the upstream cannot be reached', async () => {
    expect((await batch('flaky', [], '{"fail":404}\n{"i":2}\n')).code).toBe(4);
    expect((await batch('flaky', [], '{"i":1}\n{oops\n')).code).toBe(1);
    const down = await batch('down', [], '{"i":1}\n{"i":2,"fail":500}\n');
    expect(down.code).toBe(3);
    expect(records(down).map((r) => (r.error as { code: string }).code)).toEqual(['LLMPASS_NETWORK', 'LLMPASS_NETWORK']);
    expect(summary(down)).toMatch(/0 ok, 2 failed \(2 unreachable\)$/);
  });

  it('an alias with two deployments shares the load between them', async () => {
    const [a, b] = [pairA.count, pairB.count];
    const result = await batch('pair', ['--concurrency', '8'], jsonl(400));
    expect(result.code, result.stderr).toBe(0);
    const out = records(result);
    expect(out.map((r) => r.i)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const fromA = out.filter((r) => r.from === 'a').length;
    expect(pairA.count - a).toBe(fromA);
    expect(pairB.count - b).toBe(400 - fromA);
    expect(Math.min(fromA, 400 - fromA)).toBeGreaterThan(120);
  });

  it('reads --data @FILE as well as stdin', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), jsonl(3));
    const result = await runCli({ args: ['call', 'echo', 'classify', '--jsonl', '--data', `@${join(dir, 'in.jsonl')}`], cwd: project });
    expect(result.code, result.stderr).toBe(0);
    expect(records(result)).toHaveLength(3);
  });

  it('a 429 with Retry-After slows the whole batch down instead of hammering, and every line still gets through', async () => {
    const result = await batch('limited', ['--concurrency', '16', '--retries', '3', '--envelope'], jsonl(200), { timeoutMs: 15_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(records(result).every((r) => r.status === 200)).toBe(true);
    const seen = limited.seen;
    const tooMany = seen.filter((s) => s.at < limitedUntil);
    // One round of 429s (what was in flight, and what arrived while the first answers came back), not a storm.
    expect(tooMany.length).toBeLessThanOrEqual(40);
    const start = seen.find((s) => iOf(s.json) === 20)!.at;
    const lastLimited = Math.max(...tooMany.map((s) => s.at));
    expect(seen.filter((s) => s.at > lastLimited + 30 && s.at < start + 450)).toEqual([]);
  });

  it('Ctrl-C stops reading, lets the lines in flight finish and writes them: exit 130, nothing finished is lost', async () => {
    const before = slow.count;
    const running = spawnCli({ args: ['call', 'slow', 'classify', '--jsonl', '--concurrency', '8'], cwd: project, input: jsonl(1000) });
    await until(() => running.chunks.length > 0 && slow.inFlight === 8);
    const started = slow.count - before;
    running.child.kill('SIGINT');
    const result = await running.result;
    expect(result.code).toBe(130);
    const out = records(result);
    // Everything sent was answered and written, in order; nothing new was sent after the interrupt.
    expect(out.length).toBe(slow.count - before);
    expect(out.length).toBeGreaterThanOrEqual(started);
    expect(out.length).toBeLessThan(started + 9);
    expect(out.map((r) => r.i)).toEqual(out.map((_, i) => i + 1));
    expect(summary(result)).toMatch(new RegExp(`^llmpass: interrupted after ${out.length} lines in .*: ${out.length} ok$`));
  });

  it('a second Ctrl-C aborts the lines in flight; they are written as aborted, and exit 130', async () => {
    const running = spawnCli({ args: ['call', 'hang', 'classify', '--jsonl', '--envelope', '--concurrency', '4'], cwd: project, input: jsonl(100) });
    await until(() => hang.inFlight === 4);
    running.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    running.child.kill('SIGINT');
    const result = await running.result;
    expect(result.code).toBe(130);
    expect(records(result)).toEqual([1, 2, 3, 4].map((line) => ({ line, error: { code: 'LLMPASS_ABORTED', message: expect.any(String) } })));
    expect(summary(result)).toMatch(/interrupted after 4 lines .*0 ok, 4 failed \(4 aborted\)$/);
    await until(() => hang.inFlight === 0);
  });

  it('--resume FILE --envelope skips the lines FILE holds; aborted ones run again', async () => {
    const dir = tempDir();
    const previous = join(dir, 'out.jsonl');
    writeFileSync(
      previous,
      ['{"line":1,"status":200,"body":{}}', '{"line":2,"error":{"status":404,"message":"x"}}', '{"line":4,"status":200,"body":{}}', '{"line":3,"error":{"code":"LLMPASS_ABORTED","message":"x"}}', ''].join('\n'),
    );
    const before = echo.count;
    const result = await batch('echo', ['--envelope', '--resume', previous], jsonl(6));
    expect(result.code, result.stderr).toBe(0);
    expect(records(result).map((r) => r.line)).toEqual([3, 5, 6]);
    expect(echo.count - before).toBe(3);
    expect(summary(result)).toMatch(/: 3 ok; 3 skipped \(already in .*out\.jsonl\); 1 aborted line of .*out\.jsonl sent again$/);
  });

  it('--resume FILE of in-order output: the k-th record answers the k-th payload; appending completes the file', async () => {
    const dir = tempDir();
    const out = join(dir, 'out.jsonl');
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, jsonl(10));
    writeFileSync(out, '{"echo":{"model":"echo-upstream","i":1}}\n\n{"echo":{"model":"echo-upstream","i":2}}\n');
    const line = `${shellQuote(process.execPath)} ${shellQuote(BIN)} call echo classify --jsonl --data @${shellQuote(input)} --resume ${shellQuote(out)} >> ${shellQuote(out)}`;
    const result = await runShell(line, project);
    expect(result.code, result.stderr).toBe(0);
    const all = readFileSync(out, 'utf8').trimEnd().split('\n').filter(Boolean).map((text) => JSON.parse(text) as { echo: { i: number } });
    expect(all.map((r) => r.echo.i)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('refuses --resume of --unordered bodies, which do not say which line they answer', async () => {
    const result = await batch('echo', ['--unordered', '--resume', 'out.jsonl'], jsonl(2));
    expect(result.code).toBe(2);
    expect(summary(result)).toMatch(/--resume needs output that says which line each result answers: add --envelope, or drop --unordered/);
  });

  it('an unknown alias is exit 2 before anything is read or sent, and batch flags need --jsonl', async () => {
    const unknown = await batch('ecko', [], jsonl(2));
    expect(unknown.code).toBe(2);
    expect(summary(unknown)).toMatch(/unknown model "ecko".*did you mean "echo"/);
    const stray = await runCli({ args: ['call', 'echo', 'classify', '--concurrency', '4', '--json', '{}'], cwd: project });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--jsonl/);
    const both = await runCli({ args: ['call', 'echo', 'classify', '--jsonl', '--json', '{}'], cwd: project });
    expect(both.code).toBe(2);
  });

  it('stops quietly when the reader closes the output (| head)', async () => {
    const input = join(tempDir(), 'in.jsonl');
    writeFileSync(input, jsonl(20_000));
    const result = await runShell(
      `${shellQuote(process.execPath)} ${shellQuote(BIN)} call echo classify --jsonl --data @${shellQuote(input)} | head -n 3`,
      project,
    );
    expect(result.stdout.toString().trimEnd().split('\n')).toHaveLength(3);
    expect(stackLines(result.stderr)).toEqual([]);
    expect(result.stderr).toMatch(/^llmpass: stopped \(the output was closed\) after/);
  });

  it('on a terminal: a progress bar on stderr (done, total of a file, rate), cleared before the summary line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), jsonl(60));
    const cli = `${shellQuote(process.execPath)} ${shellQuote(BIN)} call slow classify --jsonl --concurrency 10 --data @in.jsonl > out.jsonl`;
    const env = baseEnv({ CI: undefined, TERM: 'xterm' });
    const result = await runShell(`${SCRIPT} -qec ${shellQuote(`stty cols 120 rows 40 2>/dev/null; cd ${shellQuote(project)} && ${cli.replace('@in.jsonl', `@${join(dir, 'in.jsonl')}`).replace('> out.jsonl', `> ${join(dir, 'out.jsonl')}`)}`)} /dev/null`, dir, env);
    expect(result.code, result.stderr).toBe(0);
    const screen = result.stdout.toString('utf8');
    expect(screen).toMatch(/\/60 \d+% · [\d,]+\/s/);
    expect(screen).toContain('\r\x1b[K');
    // The bar is wiped (carriage return, erase line) and the summary stands alone on the last line.
    const [bar, last] = [screen.slice(0, screen.lastIndexOf('\r\x1b[K')), screen.slice(screen.lastIndexOf('\r\x1b[K') + 4)];
    expect(bar).not.toContain('\n');
    expect(last.trimEnd()).toMatch(/^llmpass: 60 lines in .*60 ok$/);
    expect(last.trimEnd().split('\n')).toHaveLength(1);
    expect(readFileSync(join(dir, 'out.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(60);
  });
});
