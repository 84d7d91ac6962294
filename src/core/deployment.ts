import type { ProviderSettings, ProviderSpec } from '../providers/types.ts';
import type { Secret } from '../secret.ts';

/** A deployment's `litellm_params.rpm` and `tpm`, resolved; absent means no limit. */
export interface DeploymentLimits {
  rpm?: number | undefined;
  tpm?: number | undefined;
}

/** One `model_list` entry (or a `provider/model` given directly), resolved and ready to call. */
export interface Deployment {
  /** Stable within a config: the alias and the entry's index. */
  id: string;
  alias: string | undefined;
  provider: ProviderSpec;
  /** The model the upstream is asked for, without the provider prefix. */
  model: string;
  /** Without the userinfo and query it may have been written with: those are `baseAuth` and `baseQuery`. */
  apiBase: string;
  /** Userinfo of the api base, sent as Basic auth (below extra_headers, a caller's headers and the api key). */
  baseAuth?: Secret | undefined;
  /** The api base's query string, sent before the endpoint's. */
  baseQuery?: Secret | undefined;
  apiKey: Secret | undefined;
  apiVersion: string | undefined;
  /** `extra_headers` from the config, values resolved, each a Secret: a configured value may be a credential. */
  headers: Record<string, Secret>;
  timeoutMs: number | undefined;
  /** LiteLLM's `weight`, else its `rpm` (so a deployment allowed more calls gets more of them), else 1. */
  weight: number;
  /** `litellm_params.rpm` and `tpm` as limits the Router enforces (per replica, or shared through Redis). */
  limits?: DeploymentLimits | undefined;
  /**
   * The entry's `litellm_params` (regions, projects), read through `os.environ/` references: what provider hooks
   * and signers use. Only the environment for a deployment without an entry.
   */
  settings: ProviderSettings;
  /** The entry's `model_info` (per-deployment prices, as LiteLLM reads them). */
  modelInfo?: Record<string, unknown> | undefined;
}

/** What a caller may override on top of the config (`--api-base`, `--api-key`, the library's options). */
export interface DeploymentOverrides {
  apiBase?: string | undefined;
  apiKey?: string | Secret | undefined;
}
