// Operations settings from the environment, checked once when the runtime starts (every problem
// listed), and the sinks they switch on. Both gateway adapters only pass their environment:
//   TOLLGATE_DECISION_LOG          stderr | <file path> | off (default off)
//   TOLLGATE_METRICS_PORT          port of GET /metrics and /healthz (unset: no endpoint; 0: any free port)
//   TOLLGATE_METRICS_HOST          default 127.0.0.1
//   TOLLGATE_X402_VERIFY_TIMEOUT_MS / TOLLGATE_X402_SETTLE_TIMEOUT_MS   facilitator timeouts (3000 / 15000)
//   TOLLGATE_X402_FACILITATOR_HEADERS   JSON {"<facilitator URL>": {"<header>": "<value>"}}: credentials for
//     hosted facilitators, sent only to an offer whose facilitator URL equals the key, a trailing slash
//     aside (policies name the URL: a policy author must not be able to send the operator's secrets
//     elsewhere, not even through a path or query leading to a redirect; see x402/facilitator-headers.ts)
//   TOLLGATE_X402_CDP_API_KEY_ID / TOLLGATE_X402_CDP_API_KEY_SECRET   a Coinbase CDP API key: each call to
//     the facilitator at TOLLGATE_X402_CDP_FACILITATOR_URL (default CDP's) carries a JWT signed for it
//     (x402/cdp-auth.ts), only when the offer's facilitator URL is that one
import { CDP_ENV, parseCdpAuth, type CdpAuth } from '../x402/cdp-auth.js';
import { NO_FACILITATOR_HEADERS, parseFacilitatorHeaders, type FacilitatorHeaders } from '../x402/facilitator-headers.js';
import { DEFAULT_FACILITATOR_TIMEOUTS, type FacilitatorTimeouts } from '../x402/facilitator.js';
import { createDecisionLog, type DecisionLogSink, type DecisionLogTarget } from './decision-log.js';
import { createMetrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { observeAll, type Observer } from './observer.js';

export const OPERATIONS_ENV = {
  decisionLog: 'TOLLGATE_DECISION_LOG',
  metricsPort: 'TOLLGATE_METRICS_PORT',
  metricsHost: 'TOLLGATE_METRICS_HOST',
  verifyTimeout: 'TOLLGATE_X402_VERIFY_TIMEOUT_MS',
  settleTimeout: 'TOLLGATE_X402_SETTLE_TIMEOUT_MS',
  facilitatorHeaders: 'TOLLGATE_X402_FACILITATOR_HEADERS',
  cdpKeyId: CDP_ENV.keyId,
  cdpKeySecret: CDP_ENV.keySecret,
  cdpFacilitatorUrl: CDP_ENV.facilitatorUrl,
} as const;

export interface OperationsSettings {
  readonly decisionLog?: DecisionLogTarget;
  readonly metrics?: { readonly host: string; readonly port: number };
  readonly facilitatorTimeouts: FacilitatorTimeouts;
  /** Per facilitator URL; empty when unset. */
  readonly facilitatorHeaders: FacilitatorHeaders;
  readonly cdpAuth?: CdpAuth;
}

export class OperationsConfigError extends Error {
  override readonly name = 'OperationsConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`tollgate: invalid operations settings (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function operationsFromEnv(env: Env): OperationsSettings {
  const problems: string[] = [];
  const integer = (name: string, min: number, max: number): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name}: "${text}" is not an integer from ${min} to ${max}`);
    return value;
  };
  const log = env[OPERATIONS_ENV.decisionLog];
  const port = integer(OPERATIONS_ENV.metricsPort, 0, 65535);
  const verifyMs = integer(OPERATIONS_ENV.verifyTimeout, 1, 60_000) ?? DEFAULT_FACILITATOR_TIMEOUTS.verifyMs;
  const settleMs = integer(OPERATIONS_ENV.settleTimeout, 1, 300_000) ?? DEFAULT_FACILITATOR_TIMEOUTS.settleMs;
  const facilitatorHeaders = facilitatorHeadersFrom(env, problems);
  const cdp = parseCdpAuth(env);
  if (!cdp.ok) problems.push(...cdp.problems);
  if (log === 'stdout') problems.push(`${OPERATIONS_ENV.decisionLog}: stdout is not allowed (Kong parses the plugin server's stdout); use stderr or a file path`);
  if (problems.length > 0) throw new OperationsConfigError(problems);
  const decisionLog: DecisionLogTarget | undefined =
    log === undefined || log === '' || log === 'off' ? undefined : log === 'stderr' ? { kind: 'stderr' } : { kind: 'file', path: log };
  return {
    ...(decisionLog === undefined ? {} : { decisionLog }),
    ...(port === undefined ? {} : { metrics: { host: env[OPERATIONS_ENV.metricsHost] ?? '127.0.0.1', port } }),
    facilitatorTimeouts: { verifyMs, settleMs },
    facilitatorHeaders,
    ...(cdp.ok && cdp.auth !== undefined ? { cdpAuth: cdp.auth } : {}),
  };
}

/** The facilitator headers, or none once their problems are added to `problems` (which stop the start). */
function facilitatorHeadersFrom(env: Env, problems: string[]): FacilitatorHeaders {
  const parsed = parseFacilitatorHeaders(OPERATIONS_ENV.facilitatorHeaders, env[OPERATIONS_ENV.facilitatorHeaders]);
  if (parsed.ok) return parsed.headers;
  problems.push(...parsed.problems);
  return NO_FACILITATOR_HEADERS;
}

export interface Operations {
  readonly observer: Observer;
  /** The metrics endpoint's port once listening; undefined when metrics are off or it could not listen. */
  readonly metricsPort: Promise<number | undefined>;
  close(): Promise<void>;
}

export function startOperations(settings: OperationsSettings, onError: (message: string) => void): Operations {
  const log: DecisionLogSink | undefined = settings.decisionLog === undefined ? undefined : createDecisionLog(settings.decisionLog);
  const metrics = settings.metrics === undefined ? undefined : createMetrics();
  const server: MetricsServer | undefined =
    metrics === undefined || settings.metrics === undefined ? undefined : startMetricsServer(metrics.registry, settings.metrics.host, settings.metrics.port, onError);
  return {
    observer: observeAll([log, metrics].filter((o): o is NonNullable<typeof o> => o !== undefined)),
    metricsPort: server?.listening ?? Promise.resolve(undefined),
    async close() {
      await Promise.all([log?.close(), server?.close()]);
    },
  };
}
