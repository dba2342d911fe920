// Which request rewrites a gateway plugin can apply itself. Natively lowered rewrites must mean the
// same thing as Tollgate's: literal values only (no per-request templates), and no name touched by
// two operations, so the gateway's fixed order of operations cannot change the result.
import type { Rewrite } from '@tollgate/policy';

export type RequestRewrite = NonNullable<Rewrite['request']>;

const TEMPLATE = /\{\{/;

/** Every value written by the rewrite, for template and syntax checks. */
function values(request: RequestRewrite): string[] {
  return [
    ...Object.values(request.headers?.add ?? {}),
    ...Object.values(request.headers?.set ?? {}),
    ...Object.values(request.query?.add ?? {}),
    ...(request.path === undefined ? [] : [request.path]),
  ];
}

function conflicts(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const name of names.map((n) => n.toLowerCase())) (seen.has(name) ? twice : seen).add(name);
  return [...twice].sort();
}

/** Reasons shared by both gateways for keeping a rewrite in Tollgate. */
export function rewriteBlockers(request: RequestRewrite): string[] {
  const reasons: string[] = [];
  if (values(request).some((v) => TEMPLATE.test(v))) reasons.push('values use templates ({{…}}) that only Tollgate fills in per request');
  const { headers, query } = request;
  const headerConflicts = conflicts([
    ...Object.keys(headers?.add ?? {}),
    ...Object.keys(headers?.set ?? {}),
    ...(headers?.remove ?? []),
    ...Object.entries(headers?.rename ?? {}).flat(),
  ]);
  const queryConflicts = conflicts([...Object.keys(query?.add ?? {}), ...(query?.remove ?? []), ...Object.entries(query?.rename ?? {}).flat()]);
  if (headerConflicts.length + queryConflicts.length > 0) {
    reasons.push(`${[...headerConflicts, ...queryConflicts].join(', ')} touched by several operations, whose order the gateway fixes differently`);
  }
  return reasons;
}

/** Values the gateway would read as its own syntax ($(...) for Kong, $var for APISIX). */
export function valuesMatching(request: RequestRewrite, pattern: RegExp): string[] {
  return values(request).filter((v) => pattern.test(v));
}
