// `llmpass call` and `--jsonl` batches record every call in the request log (the SQLite file under
// XDG_STATE_HOME by default) with its tokens and cost; --no-log, LLMPASS_LOG=off and the config turn it off.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sseChunks, status } from '../fixtures/fake-upstream.ts';
import { openLogStore } from '../../src/accounting/log/open.ts';
import { assertBuilt, call, runCli } from '../support/cli.ts';
import { logRows } from '../support/log-rows.ts';
import { cleanupTemp } from '../support/tmp.ts';
import { CHAT, loggedConfig as config, loggedEnv as env, loggedRows as rows } from '../support/logged-calls.ts';
import { fakeUpstreams } from '../support/upstreams.ts';

assertBuilt();
afterAll(cleanupTemp);

const upstream = fakeUpstreams(() => status(200, CHAT));

describe('llmpass call logs its call', () => {
  it('a row with the tokens the answer reported and the cost at the deployment\'s rates, bodies kept', async () => {
    const { url } = await upstream();
    const dir = config(url);
    const result = await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]', '-H', 'Authorization: Bearer sk-client-secret'], { env: env(dir) });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString())).toEqual(CHAT);
    const [row, ...more] = await rows(dir);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ face: 'call', alias: 'chat', deployment: 'chat#0', provider: 'hosted_vllm', model: 'm', method: 'POST', endpoint: 'v1/chat/completions', status: 200, attempts: 1, tokens: { input: 1000, output: 500 } });
    expect(row!.cost).toBeCloseTo(0.002, 12);
    expect(JSON.parse(Buffer.from(row!.requestBody!).toString())).toEqual({ messages: [] });
    expect(JSON.parse(Buffer.from(row!.responseBody!).toString())).toEqual(CHAT);
    expect(JSON.stringify(row!.requestHeaders)).not.toContain('sk-client-secret');
  });

  it('leaves its row beside the log after the answer, with nothing heavy loaded for it (no node:crypto, no node:sqlite); `llmpass logs` folds it in', async () => {
    const { url } = await upstream();
    const dir = config(url);
    const hook = join(dir, 'builtins.mjs');
    // Prints, at exit, the built-in modules the process loaded (importing node:crypto cost a one-shot call ~8 ms).
    writeFileSync(hook, "process.on('exit', () => process.stderr.write(`builtins: ${process.moduleLoadList.join(',')}\\n`));\n");
    const result = await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: { ...env(dir), NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` } });
    expect(result.code).toBe(0);
    const builtins = result.stderr.toString().match(/^builtins: (.*)$/m)![1]!.split(',');
    expect(builtins.filter((name) => /\b(crypto|sqlite)\b/.test(name))).toEqual([]);
    const log = join(dir, 'state', 'llmpass', 'logs.db');
    expect(existsSync(log)).toBe(false);
    expect(readdirSync(`${log}-pending`)).toEqual([expect.stringMatching(/^[0-9a-f-]{36}\.rows$/)]);
    const logs = await runCli({ args: ['logs', '--json'], cwd: dir, env: env(dir) });
    expect(logs.code).toBe(0);
    expect(JSON.parse(logs.stdout.toString())).toEqual([expect.objectContaining({ alias: 'chat', status: 200 })]);
    expect(readdirSync(`${log}-pending`)).toEqual([]);
    expect((await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) })).code).toBe(0);
    expect(await rows(dir)).toHaveLength(2);
  });

  it('every log_fold_every-th call folds the waiting rows into the file and closes it; calls in parallel lose none', async () => {
    const { url } = await upstream();
    const dir = config(url, 'general_settings:\n  log_fold_every: 3\n');
    const log = join(dir, 'state', 'llmpass', 'logs.db');
    for (let i = 0; i < 2; i++) expect((await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) })).code).toBe(0);
    expect([existsSync(log), readdirSync(`${log}-pending`).length]).toEqual([false, 2]);
    expect((await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) })).code).toBe(0);
    // Folded and closed by the call itself (not left to process.exit() in an 'exit' handler, which can deadlock): checkpointed.
    expect([existsSync(log), existsSync(`${log}-wal`), readdirSync(`${log}-pending`)]).toEqual([true, false, []]);
    const parallel = await Promise.all(Array.from({ length: 8 }, () => call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) })));
    expect(parallel.map((result) => [result.code, result.stderr.toString()])).toEqual(parallel.map(() => [0, '']));
    expect(await rows(dir)).toHaveLength(11);
  });

  it('`llmpass logs` on a log that cannot take the waiting rows lists what it holds and says why the rest wait', async () => {
    const { url } = await upstream();
    const dir = config(url);
    const log = join(dir, 'state', 'llmpass', 'logs.db');
    await (await openLogStore(log)).close();
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(log);
    // A database that takes no row, as a read-only or full one would.
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON llmpass_requests BEGIN SELECT RAISE(ABORT, 'refused'); END");
    db.close();
    expect((await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) })).code).toBe(0);
    const logs = await runCli({ args: ['logs', '--json'], cwd: dir, env: env(dir) });
    expect([logs.code, JSON.parse(logs.stdout.toString())]).toEqual([0, []]);
    expect(logs.stderr.toString().trim().split('\n')).toEqual([expect.stringMatching(/^request log: cannot write to the request log .*logs\.db: refused; calls wait in .*logs\.db-pending$/)]);
    expect(readdirSync(`${log}-pending`)).toHaveLength(1);
  });

  it('a streamed answer: usage from its last event; a model without a price is cost null, never 0', async () => {
    const { url } = await upstream(sseChunks([JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' } }] }), JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } }), '[DONE]'], 1));
    const dir = config(url);
    expect((await call(dir, ['free', 'v1/chat/completions', 'stream:=true'], { env: env(dir) })).code).toBe(0);
    const [row] = await rows(dir);
    expect(row).toMatchObject({ alias: 'free', status: 200, tokens: { input: 7, output: 3 }, cost: null });
  });

  it('an answer without usage has unknown tokens and no cost; an unreachable upstream is a row with its error code', async () => {
    const { url } = await upstream(status(200, { choices: [] }));
    const dir = config(url);
    await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) });
    const unreachable = config('http://127.0.0.1:9');
    expect((await call(unreachable, ['chat', 'v1/chat/completions', 'messages:=[]', '--retries', '0'], { env: env(unreachable) })).code).toBe(3);
    expect((await rows(dir))[0]).toMatchObject({ status: 200, tokens: { input: undefined, output: undefined }, cost: null });
    expect((await rows(unreachable))[0]).toMatchObject({ status: null, errorCode: 'LLMPASS_NETWORK', tokens: { input: undefined }, cost: null });
  });

  it('--no-log, LLMPASS_LOG=off and general_settings.disable_spend_logs write nothing', async () => {
    const { url } = await upstream();
    const dir = config(url);
    expect((await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]', '--no-log'], { env: env(dir) })).code).toBe(0);
    expect((await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir, { LLMPASS_LOG: 'off' }) })).code).toBe(0);
    const off = config(url, 'general_settings:\n  disable_spend_logs: true\n');
    expect((await call(off, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(off) })).code).toBe(0);
    expect(await rows(dir)).toEqual([]);
    expect(await rows(off)).toEqual([]);
  });
});

describe('a --jsonl batch\'s summary', () => {
  it('says a small cost to the micro-dollar (never $0.0000), and the lines without usage apart', async () => {
    let n = 0;
    const { url } = await upstream((req, res) => status(200, n++ === 2 ? { choices: [] } : { choices: [], usage: { prompt_tokens: 10, completion_tokens: 5 } })(req, res));
    const dir = config(url);
    const result = await call(dir, ['chat', 'v1/chat/completions', '--jsonl', '--concurrency', '1'], { env: env(dir), input: '{"messages":[]}\n{"messages":[]}\n{"messages":[]}\n' });
    expect(result.code).toBe(0);
    expect(result.stderr.toString()).toContain('20 in / 10 out tokens, $0.000040, 1 without usage');
  });

  it('with --no-log still sums the tokens and cost, and writes no log', async () => {
    const { url } = await upstream();
    const dir = config(url);
    const result = await call(dir, ['chat', 'v1/chat/completions', '--jsonl', '--no-log'], { env: env(dir), input: '{"messages":[]}\n{"messages":[]}\n' });
    expect(result.code).toBe(0);
    expect(result.stderr.toString()).toContain('2,000 in / 1,000 out tokens, $0.004000');
    expect(await rows(dir)).toEqual([]);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });
});

describe('retention', () => {
  it('a one-shot call deletes rows past log_retention_days, a small batch at a time', async () => {
    const { url } = await upstream();
    // Every call writes to the file (log_fold_every: 1), as each 64th does by default.
    const dir = config(url, 'general_settings:\n  log_retention_days: 30\n  log_fold_every: 1\n');
    const path = join(dir, 'state', 'llmpass', 'logs.db');
    const old = Date.now() - 40 * 86_400_000;
    const store = await openLogStore(path);
    await store.insert([...logRows(1_500, old), ...logRows(2, Date.now() - 86_400_000)]);
    await store.close();
    expect((await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) })).code).toBe(0);
    // One batch (1,000 rows) per run: the call's exit is not held up by a big backlog.
    expect(await rows(dir)).toHaveLength(1_500 - 1_000 + 2 + 1);
    expect((await call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) })).code).toBe(0);
    const left = await rows(dir);
    expect(left).toHaveLength(2 + 2);
    expect(left.every((row) => row.time > old + 1_500)).toBe(true);
  });
});

describe('a log written by a newer llmpass', () => {
  it('is refused with one clear line: the call still answers (exit 0) and its row waits; `logs` exits 2', async () => {
    const { url } = await upstream();
    const dir = config(url, 'general_settings:\n  log_fold_every: 2\n');
    const chat = () => call(dir, ['chat', 'v1/chat/completions', 'messages:=[]'], { env: env(dir) });
    for (let i = 0; i < 2; i++) expect((await chat()).code).toBe(0);
    const log = join(dir, 'state', 'llmpass', 'logs.db');
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(log);
    db.exec('UPDATE llmpass_schema SET version = version + 1');
    db.close();
    const refusal = /the request log at .*logs\.db has schema version \d+, newer than this llmpass knows \(\d+\): upgrade llmpass, or use another log with --db or DATABASE_URL/;
    // The first call only leaves its row; the second, folding, finds the newer schema and says so.
    const quiet = await chat();
    expect([quiet.code, quiet.stderr.toString()]).toEqual([0, '']);
    const again = await chat();
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.toString())).toEqual(CHAT);
    expect(again.stderr.toString().trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`${refusal.source}; calls wait in .*logs\\.db-pending$`))]);
    expect(readdirSync(`${log}-pending`)).toHaveLength(2);
    const logs = await runCli({ args: ['logs'], cwd: dir, env: env(dir) });
    expect(logs.code).toBe(2);
    expect(logs.stderr.toString().trim().split('\n')).toEqual([expect.stringMatching(refusal)]);
  });
});

describe('llmpass replay', () => {
  it('sends the last call again through call\'s path (--model to another alias); the new row links to the old one', async () => {
    const fake = await upstream();
    const dir = config(fake.url);
    await call(dir, ['chat', 'v1/chat/completions', 'messages:=[{"role":"user","content":"again"}]', '-q', 'a=b'], { env: env(dir) });
    const replay = (args: string[]) => runCli({ args: ['replay', ...args], cwd: dir, env: env(dir) });
    const curl = await replay(['last', '--curl']);
    expect(curl.stdout.toString()).toContain(`${fake.url}/v1/chat/completions?a=b`);
    expect((await replay(['last', '--model', 'free'])).code).toBe(0);
    const [again, first] = await rows(dir);
    expect(again).toMatchObject({ alias: 'free', model: 'free', endpoint: 'v1/chat/completions?a=b', replayOf: first!.id });
    expect(fake.requests.at(-1)!.json).toEqual({ model: 'free', messages: [{ role: 'user', content: 'again' }] });
    const missing = await replay(['nope']);
    expect([missing.code, missing.stderr.trim()]).toEqual([2, expect.stringContaining('no logged call "nope"')]);
  });
});
