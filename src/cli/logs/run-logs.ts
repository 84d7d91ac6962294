import type { Interfaces } from '@oclif/core';
import type { logFlags } from './log-flags.ts';
import type LogsList from '../../commands/logs/index.ts';
import type LogsStats from '../../commands/logs/stats.ts';
// `llmpass logs`, `logs show` and `logs stats`: read the request log and present it. The store and the numbers
// come from src/accounting/log/; this file only turns them into tables, JSON and JSON lines.
import { existsSync } from 'node:fs';
import { Chalk, type ChalkInstance } from 'chalk';
import { isPostgresUrl, logTarget, openLogStore } from '../../accounting/log/open.ts';
import { pendingDir, waitingNotice } from '../../accounting/log/pending.ts';
import type { RequestRow } from '../../accounting/log/row.ts';
import type { SqliteLogStore } from '../../accounting/log/sqlite-store.ts';
import { callStats, isErrorCall, type StatsGrouping, type StatsRow } from '../../accounting/log/stats.ts';
import type { LogFilter, LogStore } from '../../accounting/log/store.ts';
import { UsageError } from '../../errors.ts';
import { processOutputMode as outputMode, type OutputMode } from '../render/output-mode.ts';
import { parseTimePoint } from './parse-time.ts';
import { formatCost } from '../render/format-cost.ts';
import { renderTable } from '../render/table.ts';
import { writeChunk } from '../render/write.ts';

/** The log-reading flags, typed from their definitions (`logs show` takes only some of them). */
export type LogReadFlags = Partial<Interfaces.InferredFlags<typeof logFlags>>;

/** The columns printed as they are stored. */
type RowMeta = Omit<RequestRow, 'time' | 'tokens' | 'requestHeaders' | 'requestBody' | 'requestBodyTruncated' | 'responseBody' | 'responseBodyTruncated'>;

/** A row as `--json` and `--jsonl` print it: times as ISO text, unknown counts as null, bodies as text. */
export interface RowJson extends RowMeta {
  time: string;
  tokens: { [K in keyof RequestRow['tokens']]: number | null };
  requestHeaders?: Array<[string, string]> | null;
  requestBody?: BodyJson | null;
  responseBody?: BodyJson | null;
}

interface BodyJson {
  /** UTF-8 text, or base64 for bytes that are not text. */
  text: string;
  encoding: 'utf8' | 'base64';
  truncated: boolean;
}


/** The log the flags name, or undefined (said on stderr) when the default file does not exist yet. */
async function openForReading(flags: LogReadFlags): Promise<LogStore | undefined> {
  const target = logTarget({ flag: flags.db, env: process.env });
  if (!isPostgresUrl(target) && !existsSync(target) && !existsSync(pendingDir(target))) {
    // A file named on the command line that is not there is a typo far more often than a log yet to be written.
    if (flags.db !== undefined) throw new UsageError(`--db ${flags.db}: no such request log (a SQLite file llmpass has logged calls to, or a postgres:// URL)`);
    process.stderr.write(`no calls logged yet: ${target} does not exist\n`);
    return undefined;
  }
  const store = await openLogStore(target);
  // The rows of calls that wait beside the file are not listed: say so, or "every call" would be a silent lie.
  const foldError = (store as Partial<SqliteLogStore>).folded?.error;
  if (foldError) process.stderr.write(`${waitingNotice(target, foldError)}\n`);
  return store;
}

async function withLog<T>(flags: LogReadFlags, empty: T, read: (store: LogStore) => Promise<T>): Promise<T> {
  const store = await openForReading(flags);
  if (!store) return empty;
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

function filterOf(flags: LogReadFlags, limit?: number): LogFilter {
  const now = Date.now();
  return {
    alias: flags.alias,
    status: flags.status,
    since: parseTimePoint('--since', flags.since, now),
    until: parseTimePoint('--until', flags.until, now),
    limit,
  };
}

function bodyJson(body: Uint8Array | null, truncated: boolean): BodyJson | null {
  if (!body) return null;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf8', truncated };
  } catch {
    return { text: Buffer.from(body).toString('base64'), encoding: 'base64', truncated };
  }
}

export function rowJson(row: RequestRow, withBodies = false): RowJson {
  const { id, time, tokens: t, requestHeaders, requestBody, requestBodyTruncated, responseBody, responseBodyTruncated, ...meta } = row;
  const json: RowJson = {
    // id and time first, for a person reading JSON lines.
    id,
    time: new Date(time).toISOString(),
    ...meta,
    tokens: { input: t.input ?? null, output: t.output ?? null, cacheRead: t.cacheRead ?? null, cacheWrite: t.cacheWrite ?? null, reasoning: t.reasoning ?? null },
  };
  if (withBodies) {
    json.requestHeaders = requestHeaders;
    json.requestBody = bodyJson(requestBody, requestBodyTruncated);
    json.responseBody = bodyJson(responseBody, responseBodyTruncated);
  }
  return json;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local time, to the second: what a person compares with their clock. */
function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDuration(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function formatTokens(row: RequestRow): string {
  const { input, output } = row.tokens;
  if (input === undefined && output === undefined) return '–';
  return `${input ?? '?'} → ${output ?? '?'}`;
}

function formatStatus(row: RequestRow, chalk: ChalkInstance): string {
  const text = row.status === null ? (row.errorCode ?? 'no answer') : row.errorCode ? `${row.status} ${row.errorCode}` : String(row.status);
  return isErrorCall(row) ? chalk.red(text) : chalk.green(text);
}

function renderRows(rows: readonly RequestRow[], chalk: ChalkInstance): string {
  return renderTable(
    ['time', 'alias', 'endpoint', 'status', 'duration', 'tokens', 'cost', 'id'],
    rows.map((row) => [localTime(row.time), row.alias ?? row.model ?? '–', row.endpoint, formatStatus(row, chalk), formatDuration(row.durationMs), formatTokens(row), formatCost(row.cost), chalk.dim(row.id)]),
    chalk,
  );
}

/** `llmpass logs`: the latest calls, latest first. */
export async function listLogs(flags: Interfaces.InferredFlags<typeof LogsList.flags>, ui: { json: boolean }): Promise<RowJson[]> {
  const filter = filterOf(flags, flags.limit);
  const rows = await withLog(flags, [] as RequestRow[], (store) => store.list(filter));
  const data = rows.map((row) => rowJson(row));
  if (ui.json) return data;
  if (flags.jsonl) {
    for (const row of data) await writeChunk(process.stdout, `${JSON.stringify(row)}\n`);
  } else if (rows.length === 0) {
    process.stderr.write('no calls match\n');
  } else {
    // Oldest at the top, as a terminal scrolls.
    process.stdout.write(`${renderRows([...rows].reverse(), new Chalk({ level: outputMode().color }))}\n`);
  }
  return data;
}

/** `llmpass logs show ID`: one call, its headers and bodies. */
export async function showLog(id: string, flags: LogReadFlags, ui: { json: boolean }): Promise<RowJson> {
  const row = await withLog(flags, undefined, (store) => store.get(id));
  if (!row) throw new UsageError(`no logged call has the id "${id}": \`llmpass logs\` lists them (the last column)`);
  const data = rowJson(row, true);
  if (ui.json) return data;
  const mode = outputMode();
  const chalk = new Chalk({ level: mode.color });
  const field = (name: string, value: string): string => `${chalk.bold(name.padEnd(11))} ${value}`;
  const lines = [
    field('id', row.id),
    field('time', `${localTime(row.time)} (${data.time})`),
    field('call', `${row.method} ${row.endpoint}`),
    field('alias', `${row.alias ?? '–'} → ${row.provider ?? '–'}/${row.model ?? '–'}${row.deployment ? ` (${row.deployment})` : ''}`),
    field('status', `${formatStatus(row, chalk)}${row.attempts > 1 ? ` after ${row.attempts} attempts` : ''}`),
    field('duration', `${formatDuration(row.durationMs)}${row.ttfbMs === null ? '' : `, first byte ${formatDuration(row.ttfbMs)}`}`),
    field('tokens', tokenLine(row)),
    field('cost', row.cost === null ? '– (unpriced)' : formatCost(row.cost)),
    field('face', row.face + (row.replayOf ? `, replay of ${row.replayOf}` : '') + (row.keyAlias ? `, key ${row.keyAlias}` : '')),
  ];
  for (const [name, value] of row.requestHeaders ?? []) lines.push(field('', chalk.dim(`${name}: ${value}`)));
  let text = `${lines.join('\n')}\n`;
  for (const [label, body] of [['request', data.requestBody], ['response', data.responseBody]] as const) {
    if (!body) continue;
    text += `\n${chalk.bold(label)}${body.truncated ? chalk.yellow(' (cut at 1 MiB)') : ''}${body.encoding === 'base64' ? chalk.dim(' (base64)') : ''}\n${prettyBody(body.text, mode, chalk)}\n`;
  }
  await writeChunk(process.stdout, text);
  return data;
}

function tokenLine(row: RequestRow): string {
  const t = row.tokens;
  if (t.input === undefined && t.output === undefined) return '– (the answer reported none)';
  const parts = [`${t.input ?? '?'} in`, `${t.output ?? '?'} out`];
  if (t.cacheRead !== undefined) parts.push(`${t.cacheRead} cache read`);
  if (t.cacheWrite !== undefined) parts.push(`${t.cacheWrite} cache write`);
  if (t.reasoning !== undefined) parts.push(`${t.reasoning} reasoning`);
  return parts.join(', ');
}

/** JSON reindented for a person on a terminal; anything else (or piped) as stored. */
function prettyBody(text: string, mode: OutputMode, chalk: ChalkInstance): string {
  if (!mode.pretty) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2).replace(/"([^"\\]*(?:\\.[^"\\]*)*)":/g, (_, key: string) => `${chalk.blue(`"${key}"`)}:`);
  } catch {
    return text;
  }
}

/** The priced calls' sum, the unpriced ones counted apart (their cost is unknown, not 0); `–` when none is priced. */
function statsCost(row: StatsRow, chalk: ChalkInstance): string {
  if (row.cost === null) return row.unpriced ? chalk.dim('– (unpriced)') : '–';
  return formatCost(row.cost) + (row.unpriced ? chalk.dim(` (+${row.unpriced} unpriced)`) : '');
}

export interface StatsJson extends StatsRow {
  by: StatsGrouping;
}

/** `llmpass logs stats`: calls, errors, p50/p95 duration, tokens and cost by alias, by key or by day. */
export async function logStats(flags: Interfaces.InferredFlags<typeof LogsStats.flags>, ui: { json: boolean }): Promise<StatsJson[]> {
  if (flags.by !== 'alias' && flags.by !== 'key' && flags.by !== 'day') throw new UsageError(`--by "${flags.by}": give alias, key or day`);
  const by: StatsGrouping = flags.by;
  const filter = filterOf(flags);
  const input = await withLog(flags, [], (store) => store.statsInput(filter));
  const stats = callStats(input, by).map((row) => ({ by, ...row }));
  if (ui.json) return stats;
  if (stats.length === 0) {
    process.stderr.write('no calls match\n');
    return stats;
  }
  const chalk = new Chalk({ level: outputMode().color });
  const table = renderTable(
    [by, 'calls', 'errors', 'p50', 'p95', 'tokens in', 'tokens out', 'cost'],
    stats.map((row) => [
      row.group,
      String(row.calls),
      row.errors ? chalk.red(String(row.errors)) : '0',
      formatDuration(row.p50Ms),
      formatDuration(row.p95Ms),
      row.inputTokens === null ? '–' : String(row.inputTokens) + (row.unknownTokens ? chalk.dim(` (+${row.unknownTokens} unreported)`) : ''),
      row.outputTokens === null ? '–' : String(row.outputTokens),
      statsCost(row, chalk),
    ]),
    chalk,
  );
  process.stdout.write(`${table}\n`);
  return stats;
}
