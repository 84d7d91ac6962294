import type { Config } from '../config/load.ts';
import { resolveEntries, summariseEntry, type ResolvedEntry } from '../router/inventory.ts';
import { probeDeployment, type CheckStatus, type ProbeOptions, type ProbeResult } from './probe.ts';

/** One deployment about to be checked: what the live table shows before the result is in. */
export interface PlannedCheck {
  alias: string;
  /** Its position in `model_list`. */
  index: number;
  /** `alias#index`. */
  id: string;
  provider: string | null;
  model: string | null;
  apiBase: string | null;
}

export interface CheckResult extends PlannedCheck, Omit<ProbeResult, 'latencyMs'> {
  /** Null when the deployment could not be resolved, so nothing was sent. */
  latencyMs: number | null;
}

export interface CheckReport {
  ok: boolean;
  passed: number;
  failed: number;
  skipped: number;
  /** In config order. */
  results: CheckResult[];
}

export interface CheckOptions extends ProbeOptions {
  /** Deployments probed at once; 8 when unset. */
  concurrency?: number | undefined;
  onPlan?: ((planned: PlannedCheck[]) => void) | undefined;
  onResult?: ((result: CheckResult) => void) | undefined;
}

export const DEFAULT_CHECK_CONCURRENCY = 8;

function plan(resolved: ResolvedEntry): PlannedCheck {
  const { index, id, provider, model, apiBase } = summariseEntry(resolved);
  return { alias: resolved.entry.model_name, index, id, provider, model, apiBase };
}

async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

function count(results: CheckResult[], status: CheckStatus): number {
  return results.filter((result) => result.status === status).length;
}

/**
 * The CI smoke check: every `model_list` entry probed (a bounded number at a time, each within its timeout).
 * An entry that cannot be resolved (unsupported provider, missing variable) fails without a request.
 */
export async function checkDeployments(config: Config, options: CheckOptions = {}): Promise<CheckReport> {
  const entries = resolveEntries(config);
  const planned = entries.map(plan);
  options.onPlan?.(planned);
  const results: CheckResult[] = new Array(entries.length);
  await forEachBounded(entries, options.concurrency ?? DEFAULT_CHECK_CONCURRENCY, async (entry, index) => {
    const probe: Omit<CheckResult, keyof PlannedCheck> = entry.ok
      ? await probeDeployment(entry.deployment, options)
      : { status: 'fail', reason: entry.reason, latencyMs: null, httpStatus: null, servedModels: null };
    const result: CheckResult = { ...planned[index]!, ...probe };
    results[index] = result;
    options.onResult?.(result);
  });
  const failed = count(results, 'fail');
  return { ok: failed === 0, passed: count(results, 'pass'), failed, skipped: count(results, 'skip'), results };
}
