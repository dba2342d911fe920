// The example alert rules in compose/prometheus parse, name only metrics the engine exports, and
// pass `promtool check rules` where promtool is installed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../packages/engine/src/ops/metrics.js';

const RULES = fileURLToPath(new URL('../compose/prometheus/alerts.yml', import.meta.url));

/** Every series name the engine's registry exposes once each metric has a sample. */
async function exportedSeries(): Promise<Set<string>> {
  const metrics = createMetrics();
  metrics.decided({ policy: 'p', decision: 'deny', reason: 'payment-required', status: 402, cost: 0 }, 1);
  metrics.storeCall('redis', 'admit', 0.001, true);
  metrics.payment('p', 'settled');
  const text = await metrics.registry.metrics();
  return new Set(text.split('\n').flatMap((line) => /^(tollgate_[a-z_]+)[{ ]/.exec(line)?.[1] ?? []));
}

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
}

describe('compose/prometheus/alerts.yml', () => {
  const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

  it('has the 402-spike and store-failure alerts, each with an expression, a duration and a severity', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['TollgatePaymentRequiredSpike', 'TollgateStoreFailures']));
    for (const rule of rules) {
      expect(rule.expr.trim()).not.toBe('');
      expect(rule.for).toMatch(/^\d+m$/);
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
    }
  });

  it('is loaded by the example scrape configuration', () => {
    const prometheus = parse(readFileSync(RULES.replace(/alerts\.yml$/, 'prometheus.yml'), 'utf8')) as { rule_files: string[]; scrape_configs: unknown[] };
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    expect(prometheus.scrape_configs.length).toBeGreaterThan(0);
  });

  it('uses only metrics the engine exports', async () => {
    const exported = await exportedSeries();
    const used = new Set(rules.flatMap((r) => r.expr.match(/tollgate_[a-z_]+/g) ?? []));
    expect(used.size).toBeGreaterThanOrEqual(4);
    expect([...used].filter((m) => !exported.has(m))).toEqual([]);
  });

  const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!promtool) console.warn('promtool not found on PATH: `promtool check rules` skipped (apt-get install prometheus)');
  it.skipIf(!promtool)('passes promtool check rules', () => {
    const result = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});
