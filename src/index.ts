/** The library's public face. Importing it loads neither oclif, chalk nor ora. */
export { passthrough, type PassthroughOptions } from './passthrough.ts';
export { Router, type RouterOptions, type RouterSettings, type RouterEvent, type RouterPassthroughOptions, type RoutingStrategy } from './router/router.ts';
export type { Deployment, DeploymentOverrides, DeploymentLimits } from './core/deployment.ts';
export type { PassthroughRequest, UpstreamRequest, QueryInit, BodyInit } from './core/request.ts';
export type { UpstreamReply } from './core/reply.ts';
export { MemoryState } from './router/state/memory.ts';
export { routerStateFromConfig } from './router/state/from-config.ts';
export { stateSettings } from './router/settings.ts';
export type { RouterState, StateReport, StateEvent, StateSettings } from './router/state/types.ts';
export type { BatchOptions, BatchResult, BatchAnswer, BatchFailure, BatchError, BatchEvent } from './batch/types.ts';
export { loadConfig, configFromObject, type Config, type LoadConfigOptions } from './config/load.ts';
export { registerProvider, findProvider, listProviders } from './providers/registry.ts';
export { parseModelRef, type ParsedModel } from './providers/model-ref.ts';
export type { ProviderSpec, AuthScheme, JoinRule, ModelPlacement, EndpointContext, ModelList, SignedAuth, SignableRequest, ProviderSettings, ProbeCall, ProbeAnswer } from './providers/types.ts';
export { describeProviders, describeProvider, describeAuth, type ProviderSummary, type ProviderStatus, type DescribeProvidersOptions } from './providers/describe.ts';
export { describeModels, resolveEntries, displayApiBase, type AliasSummary, type DeploymentSummary, type ResolvedEntry } from './router/inventory.ts';
export { checkDeployments, type CheckOptions, type CheckReport, type CheckResult, type PlannedCheck } from './check/check.ts';
export { probeDeployment, type ProbeOptions, type ProbeResult, type CheckStatus } from './check/probe.ts';
export { buildUpstreamRequest, displayHeaders } from './transport/request.ts';
export { joinEndpoint } from './transport/url.ts';
export type { HttpClient, OutgoingRequest, ClientOptions } from './transport/http-client.ts';
export { toWebResponse } from './transport/reply.ts';
export { sendUpstream, type SendOptions } from './transport/send.ts';
export { Secret } from './secret.ts';
export {
  LlmpassError,
  UsageError,
  ConfigError,
  UnknownModelError,
  UnusableModelError,
  MissingSettingError,
  CredentialsError,
  NetworkError,
  UpstreamTimeoutError,
  RateLimitedError,
  AbortedError,
} from './errors.ts';
