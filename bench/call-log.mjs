// What the request log costs `llmpass call`: the same call with logging on (the default: bodies kept, the row left
// beside the SQLite file and folded in by every 64th call), with every call writing the file itself
// (`log_fold_every: 1`, what the 64th call does), and with --no-log, each as a ratio to a bare Node fetch of the same
// request. Goal: on <= 1.05x of off (the row is written after the answer is out; nothing extra loads before it),
// judged on the amortized figure: on, plus a 64th of what writing the file costs over it. Rounds interleave the
// commands (rotated each time) so a slow spell of the shared machine hits all of them; each round's figure is a
// median of its runs, and the report gives the median over rounds, their spread and the load average.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALIAS, SERVED_MODEL } from './lib/fixture.mjs';
import { execOk } from './lib/proc.mjs';
import { median } from './lib/stats.mjs';

export const title = '`llmpass call` with the request log on vs --no-log (start-up, ratio to a bare fetch)';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const BARE_FETCH = fileURLToPath(new URL('./child/bare-fetch.mjs', import.meta.url));
const quick = Boolean(process.env.BENCH_QUICK) && process.env.BENCH_QUICK !== '0';
const ROUNDS = Math.max(5, Number(process.env.BENCH_CALL_LOG_ROUNDS ?? (quick ? 5 : 11)));
const RUNS_PER_ROUND = quick ? 4 : 8;
const GOAL = 1.05;
/** The default of general_settings.log_fold_every (src/accounting/log/one-shot.ts). */
const FOLD_EVERY = 64;
const INPUT = 'Hello, world!';

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
const spread = (values, digits = 2) => `${Math.min(...values).toFixed(digits)}..${Math.max(...values).toFixed(digits)}`;

export async function run({ fixture, node = process.execPath, log = console.log }) {
  const state = mkdtempSync(join(tmpdir(), 'llmpass-bench-call-log-'));
  const env = { ...process.env, XDG_STATE_HOME: state };
  delete env.LLMPASS_LOG;
  delete env.DATABASE_URL;
  const call = [node, BIN, 'call', ALIAS, 'classify', '--json', JSON.stringify({ input: INPUT })];
  // The same config, each call writing the file itself (its own log, so the default's folds never mix in).
  const writing = join(state, 'writing.yaml');
  writeFileSync(writing, `${readFileSync(fixture.config, 'utf8')}general_settings:\n  log_fold_every: 1\n  database_url: ${join(state, 'writing.db')}\n`);
  const commands = {
    fetch: [node, BARE_FETCH, `${fixture.url}/classify`, JSON.stringify({ model: SERVED_MODEL, input: INPUT })],
    off: [...call, '--no-log'],
    on: call,
    writing: [...call, '--config', writing],
  };
  const ids = Object.keys(commands);
  try {
    const loadBefore = load();
    // Warm-up: the file made, its schema applied, the disk cache filled.
    for (const id of ids) for (let i = 0; i < 2; i++) await execOk(commands[id], { cwd: fixture.dir, env, collect: false });
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const times = Object.fromEntries(ids.map((id) => [id, []]));
      for (let i = 0; i < RUNS_PER_ROUND; i++) {
        // Rotated each time, so no command always runs first (or right after another).
        const order = ids.map((_, k) => ids[(k + i + round) % ids.length]);
        for (const id of order) times[id].push((await execOk(commands[id], { cwd: fixture.dir, env, collect: false })).ms);
      }
      const m = Object.fromEntries(ids.map((id) => [id, median(times[id])]));
      const amortized = m.on + (m.writing - m.on) / FOLD_EVERY;
      rounds.push({ ...m, amortized, onVsOff: m.on / m.off, amortizedVsOff: amortized / m.off, writingVsOff: m.writing / m.off, onVsFetch: m.on / m.fetch, offVsFetch: m.off / m.fetch });
    }
    const of = (key) => rounds.map((r) => r[key]);
    const names = { fetch: 'bare fetch', off: 'call, log off', on: 'call, log on (row left pending)', writing: 'call, log on, writing the file (log_fold_every: 1)' };
    for (const id of ids) log(`${names[id]}: ${median(of(id)).toFixed(1)} ms (rounds ${spread(of(id), 1)})`);
    log(`to bare fetch: log off ${median(of('offVsFetch')).toFixed(2)}x (${spread(of('offVsFetch'))}), log on ${median(of('onVsFetch')).toFixed(2)}x (${spread(of('onVsFetch'))})`);
    log(`to --no-log: on ${median(of('onVsOff')).toFixed(3)}x (${spread(of('onVsOff'), 3)}), writing the file ${median(of('writingVsOff')).toFixed(3)}x (${spread(of('writingVsOff'), 3)})`);
    const ratio = median(of('amortizedVsOff'));
    const met = ratio <= GOAL;
    log(`goal: call with logging <= ${GOAL}x of --no-log (amortized over ${FOLD_EVERY} calls): ${ratio.toFixed(3)}x (rounds ${spread(of('amortizedVsOff'), 3)}), ${met ? 'met' : 'missed'}`);
    log(`${ROUNDS} rounds x ${RUNS_PER_ROUND} interleaved runs of each; load average ${loadBefore} before, ${load()} after`);
    return { ok: true, ratio, met };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
