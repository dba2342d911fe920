// @tollgate/server: Tollgate's HTTP endpoints. Each is a handler any Node `http` server can mount,
// plus a create…Server() convenience: the Stripe billing webhook and the account admin API.
export { ADMIN_TOKEN_ENV, AdminConfigError, createAdminHandler, createAdminServer, HEALTH_PATH, type AdminOptions } from './admin/admin-handler.js';
export { ADMIN_BASE_PATH } from './admin/routes.js';
export { CONSOLE_CSP, CONSOLE_PATH } from './admin/console-files.js';
export { accountView, type AccountView } from './admin/account-view.js';
export { MIN_TOKEN_LENGTH } from './http/bearer.js';
export { createBoundedServer, SERVER_TIMEOUTS } from './http/bounded-server.js';
export type { RequestHandler } from './http/handler.js';
export { IDEMPOTENCY_KEY_HEADER } from './http/idempotency-key.js';
export { PROBLEM_CONTENT_TYPE, PROBLEMS, SERVER_PROBLEM_BASE_URI, type ProblemType } from './http/problem.js';
export { jsonLineLog, silentLog, type Log, type LogEntry } from './log.js';
export { BillingMapError, billingMapFromProject, type BillingMap } from './stripe/billing-map.js';
export { CONSUMER_METADATA_KEY, eventPatch, HANDLED_EVENT_TYPES, IGNORE_REASONS, SAME_SECOND_ORDER, type EventOutcome, type IgnoreReason } from './stripe/event-patch.js';
export {
  createStripeWebhookHandler,
  createStripeWebhookServer,
  STRIPE_SECRET_ENV,
  STRIPE_WEBHOOK_PATH,
  WebhookConfigError,
  type StripeWebhookOptions,
  type WebhookResult,
} from './stripe/webhook-handler.js';
export { openStores, sharedStoresOf, type ProjectStores } from './stores.js';
export { listenAddress, serveUntil, untilTerminated, type ListenAddress } from './http/serve.js';
