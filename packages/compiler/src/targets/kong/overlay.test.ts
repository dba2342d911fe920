// A policy that attaches to a service and routes that already exist in Kong (no URL, no paths):
// each route gets its own tollgate entry naming its policy route (the plugin's schema accepts that
// field), and the service keeps one for routes added to it outside the policy.
import { loadProject } from '@tollgate/policy';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { compile } from '../../compile.js';
import { DEFAULT_OPTIONS } from '../target.js';
import { checkRecord } from '../../check/record.js';
import { TOLLGATE_FIELDS } from './plugin-schemas.js';

const POLICY = `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: partner-api }
spec:
  service: { name: partner }
  routes:
    - { name: partner-orders }
    - { name: partner-invoices }
  identity: { auth: key-auth, limitBy: consumer }
  plans:
    partner: { quota: { requests: 50000, per: month }, routes: [partner-orders] }
    premium: { quota: { requests: 500000, per: month } }
  defaultPlan: partner
  payment: { upgradeUrl: "https://partners.example.com/upgrade" }
  store: { kind: memory }
`;

const project = loadProject([{ path: 'partner.yaml', bytes: new TextEncoder().encode(POLICY) }]).project;

describe('Kong overlay onto existing routes without paths', () => {
  test('full mode refuses: it would have to create routes it cannot describe', () => {
    const result = compile(project, 'kong', DEFAULT_OPTIONS);
    expect(result.ok ? [] : result.diagnostics.map((d) => d.code)).toEqual(['compile-needs-service-url', 'compile-needs-route-paths', 'compile-needs-route-paths']);
  });

  test('overlay mode attaches one tollgate entry per route, each naming its policy route, and one to the service', () => {
    const result = compile(project, 'kong', { ...DEFAULT_OPTIONS, mode: 'overlay' });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const file = parse(result.files[0]?.text ?? '') as { plugins: { name: string; route?: string; service?: string; config: Record<string, unknown> }[] };
    const tollgate = file.plugins.filter((p) => p.name === 'tollgate');
    expect(tollgate.map((p) => [p.route, p.config.route, p.service])).toEqual([
      ['partner-orders', 'partner-orders', undefined],
      ['partner-invoices', 'partner-invoices', undefined],
      [undefined, undefined, 'partner'],
    ]);
    for (const plugin of tollgate) expect(checkRecord(plugin.config, TOLLGATE_FIELDS, 'config')).toEqual([]);
  });
});
