// compose/grafana: every PromQL expression of the dashboard (panels and template variables) is
// valid PromQL (promtool, where installed) and queries only metrics and labels the engine's
// metrics registry exports at runtime; the provisioning files point Grafana at it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createMetrics } from '../packages/engine/src/ops/metrics.js';

const GRAFANA = fileURLToPath(new URL('../compose/grafana/', import.meta.url));
const dashboard = JSON.parse(readFileSync(join(GRAFANA, 'dashboards/tollgate.json'), 'utf8')) as {
  uid: string;
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
};

/** Each exported series name → its labels, read from the registry (histograms: _bucket with le, _sum, _count). */
function exportedLabels(): Map<string, Set<string>> {
  const exported = new Map<string, Set<string>>();
  for (const metric of createMetrics().registry.getMetricsAsArray()) {
    // prom-client keeps each metric's label names on the metric object (the registry's own record of them)
    const { name, type, labelNames } = metric as unknown as { name: string; type: string; labelNames: readonly string[] };
    const names = [...labelNames];
    const series = type === 'histogram' ? [[`${name}_bucket`, [...names, 'le']], [`${name}_sum`, names], [`${name}_count`, names]] : [[name, names]];
    for (const [name, withLabels] of series as [string, string[]][]) exported.set(name, new Set(withLabels));
  }
  return exported;
}

/** Grafana's macros and variables as Prometheus reads them once Grafana substituted them. */
function substituted(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$policy', '.*');
}

/** The metric names and the label names an expression uses (matchers, by/without/on/ignoring lists, label_values). */
function usage(expr: string): { metrics: string[]; labels: string[] } {
  const metrics = [...expr.matchAll(/\b(tollgate_[a-z0-9_]+)/g)].map((m) => m[1] as string);
  const labels: string[] = [];
  for (const matchers of expr.matchAll(/\{([^}]*)\}/g)) labels.push(...[...(matchers[1] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] as string));
  for (const list of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) labels.push(...(list[1] as string).split(',').map((l) => l.trim()).filter((l) => l !== ''));
  const values = /^label_values\(\s*[a-z0-9_]+\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(expr.trim());
  if (values !== null) labels.push(values[1] as string);
  return { metrics, labels };
}

const panelExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: p.title, expr: t.expr })));
const variableExprs = dashboard.templating.list.flatMap((v) => {
  const query = typeof v.query === 'string' ? undefined : v.query?.query;
  return query === undefined ? [] : [{ where: `variable ${v.name}`, expr: query }];
});

describe('compose/grafana/dashboards/tollgate.json', () => {
  it('charts decisions by reason, 402s per policy, store latency and failures, payments, compensations and metered costs', () => {
    const used = new Set(panelExprs.flatMap((e) => usage(e.expr).metrics));
    expect([...used].sort()).toEqual([
      'tollgate_compensations_total',
      'tollgate_decision_duration_seconds_bucket',
      'tollgate_decisions_total',
      'tollgate_metered_cost_unread_total',
      'tollgate_metered_units_total',
      'tollgate_payments_total',
      'tollgate_store_duration_seconds_bucket',
      'tollgate_store_failures_total',
      'tollgate_unsettled_holds_total',
    ]);
    expect(panelExprs.some((e) => e.expr.includes('status="402"') && /by \(policy\)/.test(e.expr))).toBe(true);
  });

  it('queries only metrics the engine exports, each only by labels that metric has', () => {
    const exported = exportedLabels();
    const problems: string[] = [];
    for (const { where, expr } of [...panelExprs, ...variableExprs]) {
      const { metrics, labels } = usage(expr);
      if (metrics.length === 0) problems.push(`${where}: no tollgate metric in ${expr}`);
      for (const metric of metrics) if (!exported.has(metric)) problems.push(`${where}: ${metric} is not exported`);
      for (const label of labels) {
        if (!metrics.some((m) => exported.get(m)?.has(label) === true)) problems.push(`${where}: no metric of "${expr}" has the label ${label}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('catches a metric or label the code does not export (the check can fail)', () => {
    const exported = exportedLabels();
    const { metrics, labels } = usage('sum by (tenant) (rate(tollgate_decisions_totl{policy=~".*"}[5m]))');
    expect(metrics.filter((m) => !exported.has(m))).toEqual(['tollgate_decisions_totl']);
    expect(labels.filter((l) => !(exported.get('tollgate_decisions_total')?.has(l) ?? false))).toEqual(['tenant']);
  });

  const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!promtool) console.warn('promtool not found on PATH: the dashboard PromQL syntax check is skipped (apt-get install prometheus)');
  it.skipIf(!promtool)('every panel expression is valid PromQL (promtool check rules)', () => {
    const rules = { groups: [{ name: 'dashboard', rules: panelExprs.map((e, i) => ({ record: `tollgate:dashboard_${i}`, expr: substituted(e.expr) })) }] };
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-dashboard-')), 'rules.yml');
    writeFileSync(file, stringify(rules));
    const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('is provisioned: the dashboard provider reads the mounted folder, the datasource is the dashboard default', () => {
    const provider = parse(readFileSync(join(GRAFANA, 'provisioning/dashboards/tollgate.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
    const compose = readFileSync(join(GRAFANA, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./dashboards:${provider.providers[0]?.options.path ?? ''}:ro`);
    const datasources = parse(readFileSync(join(GRAFANA, 'provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
    expect(datasources.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus' });
    expect(dashboard.uid).toBe('tollgate');
  });
});
