// Tab completion: `llmpass __complete call` (the aliases) and `llmpass __complete call ALIAS` (its provider's
// endpoints), the processes the shell scripts of `llmpass autocomplete` start on each Tab. Goal: under 150 ms.
import { fileURLToPath } from 'node:url';
import { ALIAS } from './lib/fixture.mjs';
import { execOk } from './lib/proc.mjs';
import { formatTable } from './lib/table.mjs';

export const title = 'tab completion of aliases and endpoints';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const GOAL_MS = 150;

export async function run({ fixture, timer, node = process.execPath, log = console.log }) {
  const cwd = fixture.dir;
  const list = [
    { name: 'llmpass __complete call (aliases)', argv: [node, BIN, '__complete', 'call'], expect: ALIAS },
    { name: `llmpass __complete call ${ALIAS} (endpoints)`, argv: [node, BIN, '__complete', 'call', ALIAS], expect: 'classify' },
    { name: 'node -e 0', argv: [node, '-e', '0'] },
  ];
  for (const { name, argv, expect } of list) {
    const { stdout } = await execOk(argv, { cwd });
    if (expect && !stdout.split('\n').includes(expect)) throw new Error(`${name}: expected ${expect} in:\n${stdout.slice(0, 500)}`);
  }
  const results = await timer.measure(list, { cwd });
  log(
    formatTable(
      [{ title: 'command' }, { title: 'median ms', align: 'right' }, { title: '± sd', align: 'right' }],
      results.map((r) => [r.name, r.median.toFixed(1), r.stddev.toFixed(1)]),
    ),
  );
  const slowest = Math.max(results[0].median, results[1].median);
  const pass = slowest < GOAL_MS;
  log(`goal: completion under ${GOAL_MS} ms: ${slowest.toFixed(1)} ms (${pass ? 'PASS' : 'MISS'})`);
  return { results, pass };
}
