// @tollgate/engine public API: the runtime the gateway adapters start, the engine it hands out,
// config parsing, account operations, stores and the adapter contract types.
export type { Allow, Answer, CapturedBody, Decision, DecisionLog, Deny, FollowUp, HeaderValues, ReasonCode, RequestFacts, Respond, ResponseFacts, ResponseObservation, UpstreamRewrite } from './types.js';
export { REQUEST_BODY_LIMIT, RESPONSE_CAPTURE } from './types.js';
export { entryIsMetered, entryNeedsBody, entryObservedHeaders, entryObservesBody, entryResponseWork, entryRoutes, kongObservedHeaderKey, routeNeedsBody, routeObservation, type ResponseWork } from './config/route-needs.js';
export { bodyFraming, fitsRequestBodyLimit, requestBodyFacts, UNREAD_BODY, type BodyFraming } from './body-capture.js';
export { BodyCapture, captureBody } from './metered/capture.js';
export { routeReadsBody } from './metered/meter.js';
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
export {
  createEngine,
  DEGRADED_HEADER,
  DEFAULT_TIMEOUT_MS,
  type Completion,
  type Engine,
  type EngineCompile,
  type EngineOptions,
  type HoldOutcome,
  type PaymentOutcome,
} from './engine.js';
export { StoreTimeoutError, withTimeout } from './timeout.js';
export { templateVariables } from './rewrite/template.js';
export { startMetricsServer, type MetricsServer } from './ops/metrics-server.js';
export { OPERATIONS_ENV, OperationsConfigError, operationsFromEnv, type OperationsSettings } from './ops/operations.js';
export { NO_OBSERVER, PAYMENT_EVENTS, type MeteringLog, type NotificationLog, type Observer, type OfferCheckLog, type PaymentEvent, type SettlementLog, type StoreOperation } from './ops/observer.js';
export { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './notify/signature.js';
export type { NoticeType } from './notify/crossings.js';
export { DEFAULT_FACILITATOR_TIMEOUTS, type FacilitatorTimeouts } from './x402/facilitator.js';
export { PAYMENT_RESPONSE_HEADER, X_PAYMENT_RESPONSE_HEADER, type PaymentSettlement } from './x402/payment-gate.js';
export { PAYMENT_SIGNATURE_HEADER, X_PAYMENT_HEADER } from './x402/payment-header.js';
export { ENGINE_CONFIG_VERSION, EngineConfig } from './config/engine-config.js';
export { parseEngineConfig, type EngineConfigParse } from './config/parse-engine-config.js';
export { clockFromEnv, fileClock, ManualClock, systemClock, TEST_CLOCK_ENV, type Clock } from './clock.js';
export { AccountInputError, createAccounts, type Accounts } from './accounts.js';
export { accountId } from './compile/identity.js';
export { DEFAULT_STATUSES as DEFAULT_SUBSCRIPTION_STATUSES } from './compile/route-rules.js';
export { GATEWAY_ROUTERS, type GatewayRouter } from './compile/route-matcher.js';
export { DEFAULT_PROBLEM_BASE_URI, REASONS, type ReasonInfo } from './responses/reasons.js';
export { PAYMENT_REQUIRED_HEADER } from './responses/x402.js';
export { MemoryStore, createMemoryStore } from './store/memory/memory-store.js';
export { RedisStore, createRedisStore, type RedisStoreOptions } from './store/redis/redis-store.js';
export { DEFAULT_KEY_PREFIX, resolveStoreSettings, STORE_FACTORIES, storeIdentity, type StoreFactory, type StoreKind, type StoreSettings } from './store/factories.js';
export { billingPeriod, civilFromDays, daysFromCivil, DAY_MS, LIFETIME_END, type Period } from './store/billing-period.js';
export { checkWindow, remainingAfter, rollWindow, windowStart, type WindowCheck, type WindowCounter } from './store/windows.js';
export * from './store/store.js';
export { usageEvents, USAGE_METERS, type UsageEntry, type UsageEvent, type UsageMeter } from './store/usage.js';
export { MemoryUsageOutbox } from './store/memory/usage-outbox.js';
export { keyBase, USAGE_GROUP, USAGE_SUFFIX } from './store/redis/keys.js';
export { describeOption, explainTrace, type Explanation, type Trace } from './explain.js';
export { whyFacts, type WhyRequest } from './why-facts.js';
export { type UsageReport } from './usage.js';
export * from './scenarios/index.js';
