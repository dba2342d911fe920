import { describe, expect, it, vi } from 'vitest';
import { createDecisionLog } from './decision-log.js';
import { createMetrics } from './metrics.js';
import type { MeteringLog } from './observer.js';

const settled: MeteringLog = { policy: 'p', route: 'chat', event: 'settled', upstreamStatus: 200, estimate: 14, settle: 9, outcome: 'settled', writtenOff: 0 };
const unread: MeteringLog = { policy: 'p', route: 'chat', event: 'cost-unread', upstreamStatus: 200, estimate: 14, settle: 14, outcome: 'settled', writtenOff: 0 };
const released: MeteringLog = { policy: 'p', route: 'chat', event: 'released', upstreamStatus: 503, estimate: 14, outcome: 'released' };

describe('metered completions in the metrics and the decision log', () => {
  it('count the units settled and the unread costs by policy and route', async () => {
    const metrics = createMetrics();
    for (const log of [settled, unread, released]) metrics.metered(log);
    const values = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values.map((v) => [v.labels, v.value]);
    expect(await values('tollgate_metered_units_total')).toEqual([[{ policy: 'p', route: 'chat' }, 23]]);
    expect(await values('tollgate_metered_cost_unread_total')).toEqual([[{ policy: 'p', route: 'chat' }, 1]]);
  });

  it('write one line per completion, its event prefixed metered-', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let lines: unknown[];
    try {
      const log = createDecisionLog({ kind: 'stderr' }, () => Date.parse('2026-03-10T12:00:00Z'));
      log.metered(unread);
      await log.close();
      lines = write.mock.calls.map(([line]) => JSON.parse(String(line)) as unknown);
    } finally {
      write.mockRestore();
    }
    expect(lines).toEqual([{ time: '2026-03-10T12:00:00.000Z', ...unread, event: 'metered-cost-unread' }]);
  });
});
