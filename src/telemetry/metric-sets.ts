// Metric attribute sets, cached: attempts to the same deployment that end alike record with the very same objects,
// so a request allocates none. Bounded: an upstream naming a new response model each time only refills the cache.
import type { Attributes } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { ATTR_GEN_AI_RESPONSE_MODEL, ATTR_GEN_AI_TOKEN_TYPE, GEN_AI_TOKEN_TYPE_VALUE_INPUT, GEN_AI_TOKEN_TYPE_VALUE_OUTPUT } from '@opentelemetry/semantic-conventions/incubating';
import type { MetricSet } from './runtime.ts';

const MAX_ENDINGS = 64;

/** The attributes an attempt's target fixes (operation, provider, model, server), and the sets per ending. */
export class MetricTarget {
  readonly #base: Attributes;
  readonly #endings = new Map<string, MetricSet>();
  /** The last set given and what it was for: most attempts end as the one before. */
  #last: { errorType: string | undefined; responseModel: string | undefined; set: MetricSet } | undefined;

  constructor(base: Attributes) {
    this.#base = base;
  }

  /** The set for an attempt that ended with `errorType` (none: success), answered by `responseModel`. */
  set(errorType: string | undefined, responseModel: string | undefined): MetricSet {
    const last = this.#last;
    if (last && last.errorType === errorType && last.responseModel === responseModel) return last.set;
    const key = errorType === undefined && responseModel === undefined ? '' : `${errorType ?? ''}\n${responseModel ?? ''}`;
    let set = this.#endings.get(key);
    if (!set) {
      if (this.#endings.size >= MAX_ENDINGS) this.#endings.clear();
      const plain: Attributes = { ...this.#base };
      if (errorType !== undefined) plain[ATTR_ERROR_TYPE] = errorType;
      if (responseModel !== undefined) plain[ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
      set = {
        plain,
        input: { ...plain, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT },
        output: { ...plain, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT },
      };
      this.#endings.set(key, set);
    }
    this.#last = { errorType, responseModel, set };
    return set;
  }
}
