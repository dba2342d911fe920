// One simulated nginx worker's side of an external plugin (plugin_servers/plugin.lua and
// rpc/mp_rpc.lua): its own msgid counter and instance cache keyed by plugin row id, StartInstance
// on first use or a new __seq__ (then CloseInstance of the old id, errors ignored), and the
// HandleEvent/Step bridge loop that answers each PDK call.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KongPdk } from './kong-pdk.js';
import { toLuaWire } from './lua-values.js';
import { RpcTransportError, type RpcClient } from './rpc-client.js';

/** A configured plugin row, as Kong hands it to get_plugin_config. */
export interface PluginRow {
  readonly id: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly seq: number;
  readonly routeId?: string;
  readonly serviceId?: string;
  readonly consumerId?: string;
}

export type EventResult =
  | { readonly kind: 'ret' }
  | { readonly kind: 'exit' }
  /** A PDK function raised: in access Kong answers 500. */
  | { readonly kind: 'lua-error'; readonly message: string }
  /** StartInstance failed: get_instance_id raises, so Kong answers 500. */
  | { readonly kind: 'start-failed'; readonly message: string }
  /** HandleEvent/Step failed (error reply or broken socket), or no claim within CLAIM_WAIT_MS: OSS Kong logs it and proxies on. */
  | { readonly kind: 'rpc-error'; readonly message: string };

export interface EventTrace {
  /** Every RPC method sent for this event, in order (StartInstance and retries included). */
  readonly rpcs: string[];
  /** Every PDK method the plugin called, in order. */
  readonly pdkCalls: string[];
}

const STEP_METHOD: Readonly<Record<string, string>> = {
  'kong.client.get_credential': 'plugin.StepCredential',
  'kong.client.load_consumer': 'plugin.StepConsumer',
  'kong.client.get_consumer': 'plugin.StepConsumer',
  'kong.client.authenticate': 'plugin.StepCredential',
  'kong.node.get_memory_stats': 'plugin.StepMemoryStats',
  'kong.router.get_route': 'plugin.StepRoute',
  'kong.router.get_service': 'plugin.StepService',
  'kong.request.get_query': 'plugin.StepMultiMap',
  'kong.request.get_headers': 'plugin.StepMultiMap',
  'kong.response.get_headers': 'plugin.StepMultiMap',
  'kong.service.response.get_headers': 'plugin.StepMultiMap',
};

/** The JSON string Kong sends as StartInstance.Config (plugins_iterator.lua get_plugin_config). */
export function instanceConfig(row: PluginRow): string {
  return JSON.stringify({
    ...row.config,
    route_id: row.routeId,
    service_id: row.serviceId,
    consumer_id: row.consumerId,
    __plugin_id: row.id,
    __key__: `plugins:${row.name}:${row.routeId ?? ''}:${row.serviceId ?? ''}:${row.consumerId ?? ''}:default`,
    __seq__: row.seq,
    __ws_id: 'default',
  });
}

interface CachedInstance {
  readonly id: number;
  readonly seq: number;
}

interface StepRequest {
  readonly Method: string;
  readonly Args?: readonly unknown[];
}

class CallFailed extends Error {}
class ClaimTimeout extends Error {}

/** get_instance_id waits at most 100 × 0.1 s for another request's StartInstance, then gives up with an error it returns (not raises). */
export const CLAIM_WAIT_MS = 10_000;

export class KongWorker {
  readonly #instances = new Map<string, CachedInstance>();
  // Kong claims the cache slot while one request starts the instance; others wait for it.
  readonly #starting = new Map<string, Promise<number>>();
  #msgId = 0;

  constructor(
    readonly index: number,
    private readonly rpc: RpcClient,
  ) {}

  /** reset_instances_for_plugin: forget every cached instance (posted to all workers by Kong). */
  resetInstances(): void {
    this.#instances.clear();
    this.#starting.clear();
  }

  /**
   * rpc:handle_event(conf, phase): after "no plugin instance" Kong resets the instances and calls
   * itself again, as often as the server says so.
   */
  async handleEvent(row: PluginRow, phase: string, pdk: KongPdk, onReset: () => void): Promise<{ result: EventResult; trace: EventTrace }> {
    const trace: EventTrace = { rpcs: [], pdkCalls: [] };
    let result = await this.#attempt(row, phase, pdk, trace);
    while (result.kind === 'rpc-error' && result.message.toLowerCase().includes('no plugin instance')) {
      onReset();
      result = await this.#attempt(row, phase, pdk, trace);
    }
    return { result, trace };
  }

  async #attempt(row: PluginRow, phase: string, pdk: KongPdk, trace: EventTrace): Promise<EventResult> {
    let instanceId: number;
    try {
      instanceId = await this.#instanceId(row, trace);
    } catch (error) {
      if (error instanceof ClaimTimeout) return { kind: 'rpc-error', message: error.message };
      return { kind: 'start-failed', message: (error as Error).message };
    }
    try {
      let step = await this.#call(trace, 'plugin.HandleEvent', { InstanceId: instanceId, EventName: phase });
      const eventId = (step as { EventId: number }).EventId;
      for (;;) {
        const data = (step as { Data: unknown }).Data;
        if (data === 'ret') return { kind: 'ret' };
        const request = data as StepRequest;
        trace.pdkCalls.push(request.Method);
        const outcome = pdk.call(request.Method, request.Args ?? []);
        if (outcome.kind !== 'value') return outcome;
        // Data is omitted when the PDK result is nil: undefined keys are not encoded.
        step = await this.#call(trace, STEP_METHOD[request.Method] ?? 'plugin.Step', { EventId: eventId, Data: toLuaWire(outcome.value) });
      }
    } catch (error) {
      if (error instanceof CallFailed || error instanceof RpcTransportError) return { kind: 'rpc-error', message: error.message };
      throw error;
    }
  }

  // get_instance_id: reuse while __seq__ matches; otherwise start a new instance, then close the old.
  async #instanceId(row: PluginRow, trace: EventTrace): Promise<number> {
    // Another request of this worker is starting an instance for this row: wait, then look again
    // (it may have started an older or newer config).
    const deadline = Date.now() + CLAIM_WAIT_MS;
    for (let claim = this.#starting.get(row.id); claim; claim = this.#starting.get(row.id)) {
      const left = deadline - Date.now();
      const settled = await Promise.race([claim.then(() => true, () => true), sleep(Math.max(0, left), false, { ref: false })]);
      if (!settled) {
        // Kong drops the claim and returns the error: handle_event logs it and the request goes on undecided.
        this.#starting.delete(row.id);
        throw new ClaimTimeout(`Could not claim instance_id for ${row.name} (key: ${row.id})`);
      }
    }
    const cached = this.#instances.get(row.id);
    if (cached?.seq === row.seq) return cached.id;
    const starting = this.#start(row, cached, trace);
    this.#starting.set(row.id, starting);
    try {
      return await starting;
    } finally {
      this.#starting.delete(row.id);
    }
  }

  async #start(row: PluginRow, cached: CachedInstance | undefined, trace: EventTrace): Promise<number> {
    const started = (await this.#call(trace, 'plugin.StartInstance', { Name: row.name, Config: instanceConfig(row) })) as { Id: number };
    this.#instances.set(row.id, { id: started.Id, seq: row.seq });
    if (cached) await this.#call(trace, 'plugin.CloseInstance', cached.id).catch(() => undefined);
    return started.Id;
  }

  async #call(trace: EventTrace, method: string, params: unknown): Promise<unknown> {
    trace.rpcs.push(method);
    this.#msgId += 1;
    const reply = await this.rpc.call(this.#msgId, method, [params]);
    if (!reply.ok) throw new CallFailed(reply.error);
    return reply.result;
  }
}
