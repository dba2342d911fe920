// The ioredis client a Redis store runs on, configured so that failure surfaces fast and the
// engine's `timeoutMs` / `onFailure` decide: no offline queue (a command is sent on a ready
// connection or not at all), no retry of a command whose connection died (an admission may have
// run: sending it again could count it twice), a socket that stops answering is dropped, and
// reconnection runs in the background so decisions are correct again as soon as Redis is back.
import { Cluster, Command, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { StoreSettings } from '../factories.js';
import { StoreCallNotSentError } from '../store.js';

export type RedisClient = Redis | Cluster;

/** How long one TCP connect (and the first connection wait of an account operation) may take. */
export const CONNECT_TIMEOUT_MS = 1000;
/** Reconnection backoff: 50 ms per failed attempt, at most this. */
const MAX_RECONNECT_DELAY_MS = 500;
const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** No connection to send on: the call never reached Redis. */
export class RedisUnavailableError extends StoreCallNotSentError {}

/** A server that accepted a command and then went silent for this long loses its connection. */
export function socketTimeoutMs(timeoutMs: number): number {
  return Math.max(1000, 20 * timeoutMs);
}

function reconnectDelay(attempt: number): number {
  return Math.min(50 * attempt, MAX_RECONNECT_DELAY_MS);
}

function connectionOptions(timeoutMs: number) {
  return {
    connectTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: socketTimeoutMs(timeoutMs),
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    connectionName: 'tollgate',
  } satisfies RedisOptions;
}

export function createClient(settings: StoreSettings): RedisClient {
  const options = connectionOptions(settings.timeoutMs);
  if (settings.kind === 'redis-cluster') {
    const cluster: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: options,
    };
    return new Cluster([...(settings.nodes ?? [])], cluster);
  }
  return new Redis(settings.url ?? DEFAULT_URL, { ...options, enableOfflineQueue: false, retryStrategy: reconnectDelay });
}

/**
 * Lets a command through only on a ready connection. While a connection is being made (the first
 * one, or a reconnection under way) a caller waits for it, at most `limitMs`; while the client is
 * between failed attempts it fails at once, so an outage costs no waiting per request.
 */
export class ConnectionGate {
  #lastError = 'no connection yet';
  #closed = false;
  /** Callers waiting for the connection: wake, or fail when the store closes. */
  readonly #waiters = new Map<() => void, (error: Error) => void>();

  constructor(private readonly client: RedisClient) {
    client.on('ready', () => {
      const waiters = [...this.#waiters.keys()];
      this.#waiters.clear();
      for (const wake of waiters) wake();
    });
    // Without a listener ioredis prints every connection error to the console.
    client.on('error', (error: unknown) => {
      this.#lastError = error instanceof Error ? error.message : String(error);
    });
  }

  /** undefined when a command may go now; else a promise that settles when it may, or rejects. */
  enter(limitMs: number): Promise<void> | undefined {
    const status = this.client.status;
    if (status === 'ready' && !this.#closed) return undefined;
    if (this.#closed || status === 'end' || status === 'disconnecting') return Promise.reject(new RedisUnavailableError('redis store is closed'));
    // `close` is the moment between a lost connection and the next attempt.
    if (status === 'reconnecting' || status === 'close') return Promise.reject(new RedisUnavailableError(`redis is unreachable: ${this.#lastError}`));
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const fail = (error: Error): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(new RedisUnavailableError(`redis did not become ready within ${limitMs} ms (${this.#lastError})`));
      }, limitMs);
      this.#waiters.set(wake, fail);
    });
  }

  /** Fails every caller still waiting: the store is closing. */
  close(): void {
    this.#closed = true;
    const failing = [...this.#waiters.values()];
    this.#waiters.clear();
    for (const fail of failing) fail(new RedisUnavailableError('redis store is closed'));
  }
}

/**
 * The command written at once on the client's connection, outside auto-pipelining: for a call
 * that already batches a turn's work (an admit batch), where a pipeline would only add its own
 * objects and a write one event-loop turn later. Replies and errors as the client's own methods.
 */
export function sendNow(client: RedisClient, name: string, args: readonly (string | number)[]): Promise<unknown> {
  const command = new Command(name, [...args], { replyEncoding: 'utf8' });
  void client.sendCommand(command);
  return command.promise;
}
