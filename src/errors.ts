/**
 * One failure, one class, one stable `code` (as undici's UND_ERR_*). Commands map `exitCode` to the process
 * exit status; the proxy maps `httpStatus` to its answer. Messages are one line a person can act on.
 */
export class LlmpassError extends Error {
  readonly code: string = 'LLMPASS_ERROR';
  readonly exitCode: number = 1;
  readonly httpStatus: number = 500;
  /** What the caller can change, as data: each face words it (the CLI names its flags; the library has none). */
  readonly remedy: Remedy | undefined;

  constructor(message: string, options?: { cause?: unknown; remedy?: Remedy }) {
    super(message, options);
    this.name = new.target.name;
    this.remedy = options?.remedy;
  }
}

/** A change that would fix the failure: a config file, an api base, an api key, a longer timeout. */
export type Remedy = 'config' | 'api-base' | 'api-key' | 'timeout';

/** A mistake in how llmpass was called: a flag, an argument, a payload. */
export class UsageError extends LlmpassError {
  override readonly code = 'LLMPASS_USAGE';
  override readonly exitCode = 2;
  override readonly httpStatus = 400;
}

/** The config file is missing, unreadable or does not validate. */
export class ConfigError extends LlmpassError {
  override readonly code = 'LLMPASS_CONFIG';
  override readonly exitCode = 2;
  override readonly httpStatus = 500;
}

/** The model is neither an alias in the config nor a usable `provider/model`. */
export class UnknownModelError extends LlmpassError {
  override readonly code = 'LLMPASS_UNKNOWN_MODEL';
  override readonly exitCode = 2;
  override readonly httpStatus = 400;
}

/** The alias exists but cannot be called (unknown provider, model it cannot infer, empty model). */
export class UnusableModelError extends LlmpassError {
  override readonly code = 'LLMPASS_UNUSABLE_MODEL';
  override readonly exitCode = 2;
  override readonly httpStatus = 400;
}

/** A value the deployment needs (an environment variable, an api base) is not there. */
export class MissingSettingError extends LlmpassError {
  override readonly code = 'LLMPASS_MISSING_SETTING';
  override readonly exitCode = 2;
  override readonly httpStatus = 500;
}

/**
 * A signed provider's own credentials could not be had: no AWS credentials anywhere in the chain, a token endpoint
 * that refused the service account. A setup to fix, like a missing setting; the proxy answers 502 (its upstream auth).
 */
export class CredentialsError extends LlmpassError {
  override readonly code = 'LLMPASS_CREDENTIALS';
  override readonly exitCode = 2;
  override readonly httpStatus = 502;
}

/**
 * A request body over what llmpass holds in memory (a JSON body to rewrite past --max-json-body, a body to sign past
 * 64 MiB): refused as the client's mistake, 413 from the proxy.
 */
export class BodyTooLargeError extends LlmpassError {
  override readonly code = 'LLMPASS_BODY_TOO_LARGE';
  override readonly exitCode = 2;
  override readonly httpStatus = 413;
}

/** The upstream could not be reached, or the connection broke. */
export class NetworkError extends LlmpassError {
  override readonly code = 'LLMPASS_NETWORK';
  override readonly exitCode = 3;
  override readonly httpStatus = 502;
}

/** The upstream did not answer (headers, or the next chunk of a stream) within the timeout. */
export class UpstreamTimeoutError extends LlmpassError {
  override readonly code = 'LLMPASS_TIMEOUT';
  override readonly exitCode = 3;
  override readonly httpStatus = 504;
}

/**
 * Every deployment of the alias is at its `rpm` or `tpm` limit: refused here, before any upstream call (a 4xx
 * answer for `call`'s exit code; the proxy answers 429 with Retry-After).
 */
export class RateLimitedError extends LlmpassError {
  override readonly code = 'LLMPASS_RATE_LIMITED';
  override readonly exitCode = 4;
  override readonly httpStatus = 429;
  /** Whole seconds until a window has room again (at least 1). */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The answer could not be written where it was to go (`--output` on a full disk, stdout to /dev/full). */
export class OutputError extends LlmpassError {
  override readonly code = 'LLMPASS_OUTPUT';
  override readonly exitCode = 1;
  override readonly httpStatus = 500;
}

/** The caller aborted (Ctrl-C, a client that went away, an AbortSignal). */
export class AbortedError extends LlmpassError {
  override readonly code = 'LLMPASS_ABORTED';
  override readonly exitCode = 130;
  override readonly httpStatus = 499;
}

export function isLlmpassError(error: unknown): error is LlmpassError {
  return error instanceof LlmpassError;
}
