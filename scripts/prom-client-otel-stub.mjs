// What prom-client's CPU metric reads of @opentelemetry/api, for exemplars only (llmpass never enables them):
// no active span. Bundled in the API's place so the proxy loads OpenTelemetry only when telemetry is on.
export const context = { active: () => undefined };
export const trace = { getSpan: () => undefined };
