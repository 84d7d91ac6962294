import type { LogTotals } from '../../accounting/request-log.ts';
import { isFailure, type BatchError, type BatchResult } from '../../batch/types.ts';
import { EXIT } from '../exit-codes.ts';
import { formatCost } from '../render/format-cost.ts';
import { INVALID_LINE } from './jsonl-input.ts';

const UNREACHABLE = new Set(['LLMPASS_NETWORK', 'LLMPASS_TIMEOUT']);

const REASONS: Record<string, string> = {
  LLMPASS_NETWORK: 'unreachable',
  LLMPASS_TIMEOUT: 'timed out',
  LLMPASS_ABORTED: 'aborted',
  [INVALID_LINE]: 'not JSON',
};

function reasonOf(error: BatchError): string {
  if (error.status !== undefined) return `HTTP ${error.status}`;
  return REASONS[error.code ?? ''] ?? error.code ?? 'error';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** What a batch did so far: for the progress bar, the summary line and the exit code. */
export class BatchTally {
  readonly startedAt = performance.now();
  ok = 0;
  failed = 0;
  skipped = 0;
  readonly #reasons = new Map<string, number>();
  #unreachable = false;
  #serverError = false;
  #clientError = false;

  get done(): number {
    return this.ok + this.failed;
  }

  add(result: BatchResult): void {
    if (!isFailure(result)) {
      this.ok += 1;
      return;
    }
    this.failed += 1;
    const { error } = result;
    const reason = reasonOf(error);
    this.#reasons.set(reason, (this.#reasons.get(reason) ?? 0) + 1);
    if (UNREACHABLE.has(error.code ?? '')) this.#unreachable = true;
    else if (error.status !== undefined && error.status >= 500) this.#serverError = true;
    else if (error.status !== undefined && error.status >= 400) this.#clientError = true;
  }

  /** 0 when every line succeeded; else 3 if any line could not reach its upstream, else 5, else 4, else 1. */
  exitCode(interrupted: boolean): number {
    if (interrupted) return EXIT.interrupted;
    if (this.failed === 0) return EXIT.ok;
    if (this.#unreachable) return EXIT.unreachable;
    if (this.#serverError) return EXIT.serverError;
    if (this.#clientError) return EXIT.clientError;
    return EXIT.other;
  }

  /** "9,990 ok, 10 failed (7 HTTP 429, 3 unreachable)": the most frequent reasons first. */
  outcome(): string {
    if (this.failed === 0) return `${count(this.ok)} ok`;
    const reasons = [...this.#reasons].sort((a, b) => b[1] - a[1]);
    const shown = reasons.slice(0, 4).map(([reason, n]) => `${count(n)} ${reason}`);
    if (reasons.length > 4) shown.push('...');
    return `${count(this.ok)} ok, ${count(this.failed)} failed (${shown.join(', ')})`;
  }

  elapsedSeconds(now = performance.now()): number {
    return (now - this.startedAt) / 1000;
  }

  /** One line for stderr once the batch is over. */
  summary(options: { interrupted: boolean; outputClosed: boolean; resumedFrom?: string | undefined }): string {
    const seconds = this.elapsedSeconds();
    const rate = seconds > 0 ? this.done / seconds : 0;
    const lines = `${count(this.done)} line${this.done === 1 ? '' : 's'}`;
    const skipped = this.skipped ? `; ${count(this.skipped)} skipped (already in ${options.resumedFrom})` : '';
    const why = options.outputClosed ? 'stopped (the output was closed) after ' : options.interrupted ? 'interrupted after ' : '';
    return `${why}${lines} in ${seconds.toFixed(1)} s (${count(Math.round(rate))}/s): ${this.outcome()}${skipped}`;
  }
}

/** `1,234 in / 567 out tokens, $0.0123` (`$0.000040` for a small sum) with calls that reported no usage or have no price said apart (never as 0). */
export function usageNote(totals: LogTotals): string {
  const parts = [`${count(totals.input)} in / ${count(totals.output)} out tokens`];
  if (totals.calls > totals.unreported + totals.unpriced || totals.cost > 0) parts.push(formatCost(totals.cost));
  if (totals.unreported) parts.push(`${count(totals.unreported)} without usage`);
  if (totals.unpriced) parts.push(`${count(totals.unpriced)} unpriced`);
  return parts.join(', ');
}
