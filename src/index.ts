/**
 * The library's public face: what the README's library section documents, nothing more, so that internals can
 * change without breaking users. test/package/exports.test.ts lists the run-time names: adding one is deliberate.
 * Importing it loads neither oclif, chalk nor ora.
 */
export { passthrough, type PassthroughOptions } from './passthrough.ts';
export { Router, type RouterOptions, type RouterSettings, type RouterEvent, type RouterPassthroughOptions, type RoutingStrategy } from './router/router.ts';
export type { Deployment, DeploymentOverrides } from './core/deployment.ts';
export type { PassthroughRequest, UpstreamRequest, QueryInit, BodyInit } from './core/request.ts';
export type { UpstreamReply } from './core/reply.ts';
export type { BatchOptions, BatchResult, BatchAnswer, BatchFailure, BatchError, BatchEvent } from './batch/types.ts';
export { routerStateFromConfig } from './router/state/from-config.ts';
export type { RouterState, StateSettings } from './router/state/types.ts';
export { loadConfig, configFromObject, type Config, type LoadConfigOptions } from './config/load.ts';
export { registerProvider } from './providers/registry.ts';
export type { ProviderSpec, AuthScheme, JoinRule, ModelPlacement, EndpointContext, ModelList, SignedAuth, SignableRequest, ProviderSettings, ProbeCall, ProbeAnswer } from './providers/types.ts';
export { Secret } from './secret.ts';
export { RequestLog, requestLogSettings, type RequestLogOptions, type RequestLogSettings, type LogTotals } from './accounting/request-log.ts';
export type { UsageReader, UsageReport } from './providers/types.ts';
export type { Usage } from './accounting/usage.ts';
export {
  LlmpassError,
  UsageError,
  ConfigError,
  UnknownModelError,
  UnusableModelError,
  MissingSettingError,
  CredentialsError,
  BodyTooLargeError,
  NetworkError,
  UpstreamTimeoutError,
  RateLimitedError,
  AbortedError,
} from './errors.ts';
