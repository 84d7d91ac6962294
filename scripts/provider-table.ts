// The README's provider table, generated from the provider table itself so the docs never drift from the code.
//   node scripts/provider-table.ts --check   exit 1 when README.md is stale (CI)
//   node scripts/provider-table.ts --write   rewrite the table between the markers
// Runs on Node 24 directly (type stripping); the logic is exported for test/docs/.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { describeProvider, type ProviderSummary } from '../src/providers/describe.ts';
import { listProviders } from '../src/providers/registry.ts';

export const START = '<!-- providers:start -->';
export const END = '<!-- providers:end -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(values: readonly string[]): string {
  return values.length ? values.map((value) => `\`${value}\``).join(', ') : '–';
}

/** A Markdown table of providers: id, aliases, route prefix, default base, auth, key variables. */
export function renderProviderTable(providers: readonly ProviderSummary[]): string {
  const lines = [
    '| Provider | Id | Aliases | Route | Default base | Auth | Key variables |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const p of providers) {
    const base = p.defaultApiBase ? `\`${p.defaultApiBase}\`` : 'none: set `api_base`';
    const auth = p.auth === 'bearer' ? 'Bearer' : p.auth === 'none' ? 'none' : p.authKind === 'signed' ? p.auth : `\`${p.auth}\` header`;
    const keys = `${code(p.keyVariables)}${p.keyVariables.length && !p.keyRequired ? ' (optional)' : ''}`;
    lines.push(`| ${[p.label, `\`${p.id}\``, code(p.aliases), `\`${p.routePrefix}\``, base, auth, keys].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The table of the built-in providers, as the README shows it. */
export function builtInProviderTable(): string {
  return renderProviderTable(listProviders().map(describeProvider));
}

export type TableUpdate = { ok: true; text: string; changed: boolean } | { ok: false; problem: string };

/** Where a generated table sits in the README (the provider table's by default; the SDK table has its own). */
export interface TableMarkers {
  start: string;
  end: string;
}

const PROVIDER_MARKERS: TableMarkers = { start: START, end: END };

/** Puts `table` between the markers; says what is wrong when the markers are missing or out of order. */
export function replaceProviderTable(readme: string, table: string, { start: START, end: END }: TableMarkers = PROVIDER_MARKERS): TableUpdate {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1) {
    const missing = [start === -1 && START, end === -1 && END].filter(Boolean).join(' and ');
    return { ok: false, problem: `the README lacks ${missing}: add both markers, on their own lines, where the provider table goes` };
  }
  if (end < start) return { ok: false, problem: `${END} comes before ${START} in the README` };
  if (readme.indexOf(START, start + 1) !== -1 || readme.indexOf(END, end + 1) !== -1) {
    return { ok: false, problem: 'the README has the provider-table markers more than once' };
  }
  const text = `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
  return { ok: true, text, changed: text !== readme };
}

export type TableCheck = { ok: true } | { ok: false; problem: string };

/** Whether the README (undefined: there is none) holds exactly `table` between the markers. */
export function checkProviderTable(readme: string | undefined, table: string, markers: TableMarkers = PROVIDER_MARKERS): TableCheck {
  if (readme === undefined) return { ok: false, problem: 'there is no README.md to check' };
  const update = replaceProviderTable(readme, table, markers);
  if (!update.ok) return update;
  if (update.changed) {
    const fix = markers === PROVIDER_MARKERS ? 'run `npm run docs:providers`' : `put the current table between ${markers.start} and ${markers.end}`;
    return { ok: false, problem: `the ${markers === PROVIDER_MARKERS ? 'provider ' : ''}table in the README is stale: ${fix} and commit README.md` };
  }
  return { ok: true };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean' }, write: { type: 'boolean' }, readme: { type: 'string', default: 'README.md' } } });
  const path = values.readme;
  if (values.check === values.write) {
    process.stderr.write('usage: node scripts/provider-table.ts --check | --write [--readme README.md]\n');
    return 2;
  }
  const table = builtInProviderTable();
  const readme = await readOptional(path);
  if (values.check) {
    const result = checkProviderTable(readme, table);
    if (result.ok) return 0;
    process.stderr.write(`${path}: ${result.problem.replace('no README.md', `no ${path}`)}\n`);
    return 1;
  }
  if (readme === undefined) {
    process.stderr.write(`${path} does not exist: create it with the lines ${START} and ${END} where the provider table goes\n`);
    return 1;
  }
  const update = replaceProviderTable(readme, table);
  if (!update.ok) {
    process.stderr.write(`${path}: ${update.problem}\n`);
    return 1;
  }
  if (update.changed) await writeFile(path, update.text);
  process.stdout.write(`${path}: provider table ${update.changed ? 'updated' : 'already up to date'}\n`);
  return 0;
}

if (import.meta.main) process.exitCode = await main();
