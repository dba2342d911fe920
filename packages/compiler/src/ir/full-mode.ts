import type { Diagnostic } from '@tollgate/policy';
import { NEEDS_ROUTE_PATHS, NEEDS_SERVICE_URL } from '../codes.js';
import type { PolicyIr } from './types.js';

/** Full mode creates the policy's service and routes: each needs what the gateway routes on. */
export function fullModeDiagnostics(policy: PolicyIr, overlayHint: string): Diagnostic[] {
  const { document } = policy;
  const { spec } = document.value;
  const diagnostics: Diagnostic[] = [];
  if (spec.service?.url === undefined) {
    diagnostics.push(document.diagnostic(spec.service ? ['spec', 'service'] : ['spec'], NEEDS_SERVICE_URL, 'error', `full mode creates the service: give spec.service a url${overlayHint}`));
  }
  for (const [index, route] of spec.routes.entries()) {
    if (route.paths === undefined) {
      diagnostics.push(document.diagnostic(['spec', 'routes', index], NEEDS_ROUTE_PATHS, 'error', `full mode creates route "${route.name}": give it paths${overlayHint}`));
    }
  }
  return diagnostics;
}
