import { stripVTControlCharacters } from 'node:util';
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import type { CheckReport, CheckResult, PlannedCheck } from '../../check/check.ts';
import type { OutputMode } from '../render/output-mode.ts';
import { renderTable, terminalWidth } from '../render/table.ts';

/** How `models --check` shows its progress and results; the output mode picks one. */
export interface CheckView {
  planned(rows: PlannedCheck[]): void;
  result(result: CheckResult): void;
  /** Called once with the report; draws the final table or summary on stdout. */
  finish(report: CheckReport): void;
  /** Clears anything drawn live (on an error or Ctrl-C). */
  stop(): void;
}

const HEADERS = ['alias', 'deployment', 'status', 'latency', 'reason'];

function latency(ms: number | null): string {
  if (ms === null) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function deploymentCell(row: PlannedCheck): string {
  return `#${row.index} ${row.apiBase ?? row.model ?? ''}`.trimEnd();
}

function statusMark(result: CheckResult | undefined, chalk: ChalkInstance): string {
  if (!result) return chalk.dim('…');
  if (result.status === 'pass') return chalk.green('✓');
  if (result.status === 'fail') return chalk.red('✗');
  return chalk.yellow('–');
}

function tableOf(planned: PlannedCheck[], results: Map<string, CheckResult>, chalk: ChalkInstance, maxWidth?: number): string {
  const rows = planned.map((row) => {
    const result = results.get(row.id);
    const reason = result ? (result.status === 'fail' ? result.reason : chalk.dim(result.reason)) : chalk.dim('checking');
    return [row.alias, deploymentCell(row), statusMark(result, chalk), latency(result?.latencyMs ?? null), reason];
  });
  return renderTable(HEADERS, rows, chalk, maxWidth);
}

/** A table fitted to the terminal may cut a failure's reason: each one follows it in full, as the reason is the news. */
function failureLines(planned: PlannedCheck[], results: Map<string, CheckResult>, chalk: ChalkInstance): string {
  return planned
    .flatMap((row) => {
      const result = results.get(row.id);
      return result?.status === 'fail' ? [`${chalk.red('✗')} ${row.alias} #${row.index}: ${result.reason}\n`] : [];
    })
    .join('');
}

/** The final table, cut to the terminal's width; when that cut anything, the failures' reasons in full below it. */
function finalTable(planned: PlannedCheck[], results: Map<string, CheckResult>, chalk: ChalkInstance): string {
  const full = tableOf(planned, results, chalk);
  const width = terminalWidth();
  if (!width || full.split('\n').every((line) => stripVTControlCharacters(line).length <= width)) return `${full}\n`;
  return `${tableOf(planned, results, chalk, width)}\n\n${failureLines(planned, results, chalk)}`;
}

export function summaryLine(report: CheckReport): string {
  const total = report.results.length;
  const parts = [`${report.passed} passed`, `${report.failed} failed`];
  if (report.skipped) parts.push(`${report.skipped} skipped (no probe)`);
  return `${total} deployment${total === 1 ? '' : 's'} checked: ${parts.join(', ')}`;
}

/** A line per deployment for logs and pipes: grep-able words, no colour, no alignment to keep. */
export function plainLine(result: CheckResult): string {
  const word = result.status === 'pass' ? 'PASS' : result.status === 'fail' ? 'FAIL' : 'SKIP';
  const took = result.latencyMs === null ? '' : ` (${latency(result.latencyMs)})`;
  return `${word} ${result.id} ${result.apiBase ?? result.model ?? ''}${took}: ${result.reason}`;
}

/**
 * A terminal gets a live table on stderr (an ora spinner whose text is the table, so ora clears and redraws it),
 * then the final table on stdout. Anything else gets a plain line per deployment as it finishes, with a progress
 * spinner on stderr when stderr is a terminal outside CI.
 */
export async function createCheckView(mode: OutputMode, out: NodeJS.WritableStream = process.stdout): Promise<CheckView> {
  const chalk = new Chalk({ level: mode.color });
  // A terminal that reports no width (a pty nobody sized) would make ora count its lines as Infinity.
  const sized = (process.stderr.columns ?? 80) > 0;
  const ora = mode.spinner && sized ? (await import('ora')).default : undefined;
  let planned: PlannedCheck[] = [];
  const results = new Map<string, CheckResult>();
  let spinner: Ora | undefined;
  const progress = (): string => `checking ${planned.length} deployment${planned.length === 1 ? '' : 's'}: ${results.size} done`;
  const draw = (): void => {
    if (!spinner) return;
    spinner.text = mode.pretty ? `${progress()}\n${tableOf(planned, results, chalk)}` : progress();
  };
  const stop = (): void => {
    spinner?.stop();
    spinner = undefined;
  };
  return {
    planned(rows) {
      planned = rows;
      if (ora && rows.length) spinner = ora({ stream: process.stderr, discardStdin: false, color: mode.color > 0 ? 'cyan' : false });
      draw();
      spinner?.start();
    },
    result(result) {
      results.set(result.id, result);
      if (!mode.pretty) out.write(`${plainLine(result)}\n`);
      draw();
    },
    finish(report) {
      stop();
      if (mode.pretty) out.write(`${finalTable(planned, results, chalk)}\n`);
      const summary = summaryLine(report);
      out.write(`${mode.pretty ? (report.ok ? chalk.green(summary) : chalk.red(summary)) : summary}\n`);
    },
    stop,
  };
}
