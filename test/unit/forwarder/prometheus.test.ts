import { describe, expect, it } from 'vitest';
import { forwarderMetrics } from '../../../forwarder/metrics.ts';
import { Counter, Gauge, Histogram, Registry, processMetrics } from '../../../forwarder/prometheus.ts';

describe('the metrics in Prometheus text format', () => {
  it('shows counters and gauges by label set, an unlabelled one at 0 from the start', async () => {
    const registry = new Registry();
    const plain = new Counter({ name: 'a_total', help: 'A plain counter', registers: [registry] });
    const byKind = new Counter({ name: 'b_total', help: 'By kind', labelNames: ['kind'], registers: [registry] });
    const gauge = new Gauge({ name: 'c', help: 'A gauge', labelNames: ['state'], registers: [registry] });
    expect(await registry.metrics()).toBe('# HELP a_total A plain counter\n# TYPE a_total counter\na_total 0\n# HELP b_total By kind\n# TYPE b_total counter\n# HELP c A gauge\n# TYPE c gauge\n');
    plain.inc();
    plain.inc(2.5);
    byKind.inc({ kind: 'node-oom' });
    byKind.inc({ kind: 'node-oom' }, 2);
    byKind.inc({ kind: 'say "hi"\\\n' });
    gauge.set({ state: 'sampling' }, 1);
    gauge.set({ state: 'starting' }, 0);
    const text = await registry.metrics();
    expect(text).toContain('\na_total 3.5\n');
    expect(text).toContain('\nb_total{kind="node-oom"} 3\n');
    expect(text).toContain('\nb_total{kind="say \\"hi\\"\\\\\\n"} 1\n');
    expect(text).toContain('\nc{state="sampling"} 1\nc{state="starting"} 0\n');
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await gauge.get()).values).toEqual([{ labels: { state: 'sampling' }, value: 1 }, { labels: { state: 'starting' }, value: 0 }]);
    expect(() => plain.inc(-1)).toThrow(/only goes up/);
  });

  it('counts a histogram cumulatively per bucket, with its sum and count', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: 'lag_seconds', help: 'Lag', buckets: [0.1, 1, 10], registers: [registry] });
    for (const v of [0.05, 0.1, 0.5, 20]) h.observe(v);
    expect(await registry.metrics()).toBe(
      [
        '# HELP lag_seconds Lag',
        '# TYPE lag_seconds histogram',
        'lag_seconds_bucket{le="0.1"} 2',
        'lag_seconds_bucket{le="1"} 3',
        'lag_seconds_bucket{le="10"} 3',
        'lag_seconds_bucket{le="+Inf"} 4',
        'lag_seconds_sum 20.65',
        'lag_seconds_count 4',
        '',
      ].join('\n'),
    );
  });

  it("reads the process's own figures when scraped", async () => {
    const registry = new Registry();
    processMetrics(registry, 'x_');
    const text = await registry.metrics();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('x_process_resident_memory_bytes')).toBeGreaterThan(2 ** 20);
    expect(value('x_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('x_process_start_time_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
    expect(value('x_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it("has every forwarder metric, the leader's at 0 before it leads", async () => {
    const m = forwarderMetrics();
    m.entries.inc({ result: 'sent' }, 6);
    const text = await m.registry.metrics();
    expect(text).toContain('\noombot_forwarder_leader 0\n');
    expect(text).toContain('\noombot_putevents_entries_total{result="sent"} 6\n');
    expect(text).toContain('\noombot_delivery_lag_seconds_count 0\n');
    expect(text).toContain('\noombot_forwarder_process_resident_memory_bytes ');
  });
});
