import type { Diagnostic } from '@tollgate/policy';
import type { PolicyExplanation } from '../explain.js';
import type { ProjectIr } from '../ir/types.js';
import type { ApisixPluginKind, KongPluginKind } from './lua-adapter.js';

export const TARGET_NAMES = ['kong', 'apisix'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export const MODES = ['full', 'overlay'] as const;
export type Mode = (typeof MODES)[number];

export const KONG_EDITIONS = ['oss', 'enterprise'] as const;
export type KongEdition = (typeof KONG_EDITIONS)[number];

export const APISIX_FORMATS = ['standalone', 'adc'] as const;
export type ApisixFormat = (typeof APISIX_FORMATS)[number];

export interface CompileOptions {
  readonly mode: Mode;
  readonly kongEdition: KongEdition;
  readonly apisixFormat: ApisixFormat;
  /** `lua`: the native tollgate-lua plugin with the sidecar; default `js` (kong-js-pluginserver). */
  readonly kongPlugin?: KongPluginKind;
  /** `lua`: the native tollgate plugin with the sidecar; default `runner` (ext-plugin). */
  readonly apisixPlugin?: ApisixPluginKind;
}

export const DEFAULT_OPTIONS: CompileOptions = { mode: 'full', kongEdition: 'oss', apisixFormat: 'standalone' };

export interface OutputFile {
  /** File name inside --out, e.g. kong.yaml. */
  readonly name: string;
  readonly text: string;
}

/** One gateway entity of the output, flattened for diffs: `key` is stable across compiles. */
export interface InventoryItem {
  readonly kind: 'service' | 'route' | 'plugin' | 'consumer' | 'consumer_group';
  readonly key: string;
  /** A one-line summary (route: methods and paths; plugin: its scope). */
  readonly summary: string;
  /** The entity's own configuration, compared to tell "changed" from "unchanged". */
  readonly body: unknown;
}

export interface TargetOutput {
  readonly files: readonly OutputFile[];
  readonly explanations: readonly PolicyExplanation[];
  readonly inventory: readonly InventoryItem[];
  /** Problems that stop this target's output (nothing is written when one is an error). */
  readonly diagnostics: readonly Diagnostic[];
}

/** A gateway the compiler emits configuration for; every target has the same file roles. */
export interface Target {
  readonly name: TargetName;
  /** Target-specific problems of the project, whatever the output options (lint shows them). */
  check(ir: ProjectIr): Diagnostic[];
  compile(ir: ProjectIr, options: CompileOptions): TargetOutput;
}
