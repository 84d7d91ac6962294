// `llmpass logs stats`: calls grouped by alias, by virtual key or by day. Aggregated here rather than in SQL so both stores give
// the same numbers (SQLite has no percentile function) from the same narrow projection of the rows.
import type { StatsInput } from './store.ts';

export type StatsGrouping = 'alias' | 'key' | 'day';

export interface StatsRow {
  /** The alias or the key's alias (`-` for a call without one), or the UTC day `YYYY-MM-DD`. */
  group: string;
  calls: number;
  /** Calls without a 2xx/3xx answer, or cut short. */
  errors: number;
  p50Ms: number;
  p95Ms: number;
  /** Sums over the calls that reported usage; null when none did (unknown, not 0). */
  inputTokens: number | null;
  outputTokens: number | null;
  /** Calls whose answer reported no usage: their tokens are not in the sums (unknown, not 0). */
  unknownTokens: number;
  /** USD over the priced calls; null when none is priced (unknown, not $0). */
  cost: number | null;
  /** Calls whose answer reported usage but whose model has no price: their cost is not in the sum. */
  unpriced: number;
}

export function isErrorCall(row: Pick<StatsInput, 'status' | 'errorCode'>): boolean {
  return row.errorCode !== null || row.status === null || row.status >= 400;
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export function callStats(rows: readonly StatsInput[], by: StatsGrouping): StatsRow[] {
  const groups = new Map<string, StatsInput[]>();
  for (const row of rows) {
    const key = by === 'day' ? new Date(row.time).toISOString().slice(0, 10) : ((by === 'key' ? row.keyAlias : row.alias) ?? '-');
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(row);
  }
  const stats = [...groups].map(([group, calls]): StatsRow => {
    const durations = calls.map((call) => call.durationMs).sort((a, b) => a - b);
    const row: StatsRow = { group, calls: calls.length, errors: 0, p50Ms: percentile(durations, 50), p95Ms: percentile(durations, 95), inputTokens: null, outputTokens: null, unknownTokens: 0, cost: null, unpriced: 0 };
    for (const call of calls) {
      if (isErrorCall(call)) row.errors += 1;
      const unreported = call.tokens.input === undefined && call.tokens.output === undefined;
      if (unreported) row.unknownTokens += 1;
      if (call.tokens.input !== undefined) row.inputTokens = (row.inputTokens ?? 0) + call.tokens.input;
      if (call.tokens.output !== undefined) row.outputTokens = (row.outputTokens ?? 0) + call.tokens.output;
      // A call without usage has no cost either; it is counted once, as unreported.
      if (call.cost !== null) row.cost = (row.cost ?? 0) + call.cost;
      else if (!unreported) row.unpriced += 1;
    }
    return row;
  });
  // Days in order; aliases and keys by how much they are used.
  return by === 'day' ? stats.sort((a, b) => a.group.localeCompare(b.group)) : stats.sort((a, b) => b.calls - a.calls || a.group.localeCompare(b.group));
}
