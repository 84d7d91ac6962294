// What a call cost in USD: the deployment's own rates when the config gives them (LiteLLM's keys), else
// @pydantic/genai-prices' bundled table, imported on the first priced call only (it is ~800 KB of code). Prices are
// never fetched from the network: the library's updatePrices() is never called.
import type { Deployment } from '../core/deployment.ts';
import type { Usage } from './usage.ts';

/** Per-token USD rates a deployment sets for itself (self-hosted and fine-tuned models). */
export interface PriceOverride {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** LiteLLM's keys, read from `litellm_params` or `model_info` (litellm_params wins). */
const OVERRIDE_KEYS = {
  input: 'input_cost_per_token',
  output: 'output_cost_per_token',
  cacheRead: 'cache_read_input_token_cost',
  cacheWrite: 'cache_creation_input_token_cost',
} as const satisfies Record<keyof PriceOverride, string>;

/** The override a config entry sets, or undefined when it sets none. Numbers written as text (`1e-6`) count. */
export function priceOverrideOf(
  /** `litellm_params`, or a lookup of its values (a deployment's settings, environment references read). */
  litellmParams: Readonly<Record<string, unknown>> | ((key: string) => unknown) | null | undefined,
  modelInfo?: Readonly<Record<string, unknown>> | null,
): PriceOverride | undefined {
  const override: PriceOverride = {};
  let any = false;
  for (const [field, key] of Object.entries(OVERRIDE_KEYS) as Array<[keyof PriceOverride, string]>) {
    const rate = perToken(typeof litellmParams === 'function' ? litellmParams(key) : litellmParams?.[key]) ?? perToken(modelInfo?.[key]);
    if (rate === undefined) continue;
    override[field] = rate;
    any = true;
  }
  return any ? override : undefined;
}

function perToken(value: unknown): number | undefined {
  const rate = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof rate === 'number' && Number.isFinite(rate) && rate >= 0 ? rate : undefined;
}

export interface CostQuestion {
  /** The provider's id in genai-prices (a provider entry's `pricesProvider`); none for self-hosted servers. */
  pricesProvider: string | undefined;
  /** The upstream model, as sent. */
  model: string;
  usage: Usage;
  override?: PriceOverride | undefined;
  /** When the call was made: prices change over time. */
  at?: Date | undefined;
}

/**
 * The call's cost in USD, or null when it cannot be known: the model has no price, or the answer reported no
 * input or output count (an unknown count is never priced as 0). Cache counts not reported are taken as none.
 * Answered at once when no table is needed or the table is loaded; a promise only while the table first loads.
 */
export function costOf(question: CostQuestion): number | null | Promise<number | null> {
  const { usage, override } = question;
  if (usage.input === undefined || usage.output === undefined) return null;
  // An override with no output rate still prices a call that generated nothing (an embedding).
  if (override?.input !== undefined && (override.output !== undefined || usage.output === 0)) {
    return overrideCost(usage, { ...override, input: override.input, output: override.output ?? 0 });
  }
  if (!question.pricesProvider) return null;
  if (priceTable) return tablePrice(priceTable, question);
  return loadPriceTable().then((table) => tablePrice(table, question));
}

type PriceTable = typeof import('@pydantic/genai-prices');
let priceTable: PriceTable | undefined;
let loadingTable: Promise<PriceTable> | undefined;
const loadPriceTable = (): Promise<PriceTable> => (loadingTable ??= import('@pydantic/genai-prices').then((table) => (priceTable = table)));

function tablePrice(table: PriceTable, question: CostQuestion): number | null {
  const { usage } = question;
  const price = table.calcPrice(
    {
      input_tokens: usage.input,
      output_tokens: usage.output,
      cache_read_tokens: usage.cacheRead,
      cache_write_tokens: usage.cacheWrite,
    },
    question.model,
    { providerId: question.pricesProvider!, timestamp: question.at },
  );
  return price ? price.total_price : null;
}

/** Cache reads and writes are part of `input`; each is billed at its own rate when one is set, else as input. */
function overrideCost(usage: Usage, rates: PriceOverride & { input: number; output: number }): number {
  const cacheRead = usage.cacheRead ?? 0;
  const cacheWrite = usage.cacheWrite ?? 0;
  const plainInput = Math.max(0, usage.input! - cacheRead - cacheWrite);
  return (
    plainInput * rates.input +
    cacheRead * (rates.cacheRead ?? rates.input) +
    cacheWrite * (rates.cacheWrite ?? rates.input) +
    usage.output! * rates.output
  );
}

/**
 * What a call to this deployment cost: its own rates (litellm_params or model_info), else the bundled table; null
 * when unknown. A call that cannot be priced (no usage, no price source) is answered at once and loads no table;
 * so is every other once the table is loaded (a promise only before).
 */
export function deploymentCost(deployment: Deployment, usage: Usage, at: Date | number): number | null | Promise<number | null> {
  if (usage.input === undefined || !hasPriceSource(deployment)) return null;
  try {
    // A Date only for a call that is priced (the proxy's rows give epoch milliseconds).
    const cost = costOf({ pricesProvider: deployment.provider.pricesProvider, model: deployment.model, usage, override: overrideOf(deployment), at: typeof at === 'number' ? new Date(at) : at });
    return cost instanceof Promise ? cost.catch(() => null) : cost;
  } catch {
    return null;
  }
}

/** Whether a deployment's calls can be priced at all: its provider is in the table, or the config gives rates. */
export function hasPriceSource(deployment: Deployment): boolean {
  return Boolean(deployment.provider.pricesProvider || overrideOf(deployment));
}

/** A deployment's own rates, read once per deployment (its settings do not change while it lives). */
const overrides = new WeakMap<Deployment, PriceOverride | undefined>();
function overrideOf(deployment: Deployment): PriceOverride | undefined {
  if (!overrides.has(deployment)) overrides.set(deployment, priceOverrideOf((key) => deployment.settings.text(key), deployment.modelInfo));
  return overrides.get(deployment);
}
