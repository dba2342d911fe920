import type { ConsumersDocument, EnvRef, Located, NativeRedis, PolicyDocument } from '@tollgate/policy';
import type { EngineConfig } from '../engine-config.js';

/** One consumer from a Consumers document, with where it is written (for diagnostics). */
export interface ConsumerIr {
  readonly name: string;
  readonly customId?: string;
  /** The plan the Consumers document assigns, if any (valid in the policies that have that plan). */
  readonly plan?: string;
  /** key-auth keys, environment references only (inline secrets are reported, not emitted). */
  readonly keys: readonly EnvRef[];
  readonly document: Located<ConsumersDocument>;
  readonly path: readonly (string | number)[];
}

/** One policy, resolved: the engine configuration with every default explicit. */
export interface PolicyIr {
  readonly name: string;
  readonly document: Located<PolicyDocument>;
  readonly config: EngineConfig;
  /** Upstream URL parts when the policy defines its service (full mode). */
  readonly upstream?: Upstream;
  /** store.native: the Redis the gateway's own rate limiters may count in (not part of the config). */
  readonly nativeRedis?: NativeRedis;
}

export interface Upstream {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** Path prefix of the service URL ("" when none). */
  readonly path: string;
  readonly url: string;
}

/** The project after resolution: what every target lowers. Policies and consumers sorted by name. */
export interface ProjectIr {
  readonly policies: readonly PolicyIr[];
  readonly consumers: readonly ConsumerIr[];
}
