import { isPair, isScalar, isSeq, Scalar, visit, type Document } from 'yaml';
import type { PathSegment } from '../diagnostics.js';

// Plain scalars that YAML 1.2 (this loader, editors) and YAML 1.1 (decK's go-yaml, APISIX's lyaml)
// read differently. `true`/`false`/`null` mean the same in both and are not listed.
const BOOLEAN_11 = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const OCTAL_11 = /^[-+]?0[0-7_]+$/;
const SEXAGESIMAL_11 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

export interface AmbiguousScalar {
  readonly path: PathSegment[];
  readonly source: string;
  readonly meaning12: string;
  readonly meaning11: string;
}

/** Finds unquoted scalars whose meaning changes under YAML 1.1, the dialect both gateways parse. */
export function findYaml11Ambiguities(doc: Document): AmbiguousScalar[] {
  const found: AmbiguousScalar[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || node.type !== Scalar.PLAIN || typeof node.source !== 'string') return;
      const meaning11 = yaml11Meaning(node.source);
      if (meaning11 !== undefined) found.push({ path: pathOf(ancestors, node), source: node.source, meaning12: describe(node.value), meaning11 });
    },
  });
  return found;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? 'a string' : `the ${typeof value} ${String(value)}`;
}

function yaml11Meaning(source: string): string | undefined {
  if (BOOLEAN_11.test(source)) return /^(?:y|yes|on)$/i.test(source) ? 'the boolean true' : 'the boolean false';
  if (OCTAL_11.test(source)) return `the octal number ${parseInt(source.replace(/_/g, ''), 8)}`;
  if (SEXAGESIMAL_11.test(source)) return 'a base-60 number';
  return undefined;
}

function pathOf(ancestors: readonly unknown[], node: unknown): PathSegment[] {
  const path: PathSegment[] = [];
  let child = node;
  for (let i = ancestors.length - 1; i >= 0; i -= 1) {
    const parent = ancestors[i];
    if (isSeq(parent)) path.unshift(parent.items.indexOf(child));
    else if (isPair(parent) && parent.value === child) path.unshift(isScalar(parent.key) ? String(parent.key.value) : String(parent.key));
    child = parent;
  }
  return path;
}
