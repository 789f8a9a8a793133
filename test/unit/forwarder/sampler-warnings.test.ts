import { describe, expect, it } from 'vitest';
import type { KubeResponse, KubeTransport } from '../../../kube/rest.ts';
import { forwarderMetrics } from '../../../forwarder/metrics.ts';
import { DEFAULT_WARNING_SETTINGS } from '../../../forwarder/memory-warning.ts';
import { MemorySampler, type SampledWarning } from '../../../forwarder/sampler.ts';
import { buildEnvelope } from '../../../forwarder/envelopes.ts';
import { EnvelopeSchema } from '#shared/envelope.ts';
import { memoryWarningId } from '#shared/occurrence-id.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { jsonLines } from '#shared/log.ts';
import { decodeSeries } from '#shared/memory-series.ts';
import type { Occurrence } from '#shared/occurrences.ts';
import { container, pod, runningStatus, T0 } from '../../support/k8s-factories.ts';

const Mi = 2 ** 20;
const stamp = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString().replace('.000Z', 'Z');
const signal = new AbortController().signal;

/** A sampler fed PodMetrics as metrics-server writes them, one poll per call, its warnings collected. */
function harness(pods: Pod[]) {
  let items: unknown[] = [];
  const api: KubeTransport = {
    description: 'scripted',
    get: async (): Promise<KubeResponse> => ({ status: 200, body: { kind: 'PodMetricsList', metadata: {}, items } }),
    request: () => Promise.reject(new Error('not used')),
    stream: () => Promise.reject(new Error('not used')),
  };
  const warnings: SampledWarning[] = [];
  const s = new MemorySampler({
    api,
    log: jsonLines({ write: () => undefined, level: 'error' }),
    metrics: forwarderMetrics(),
    intervalMs: 30_000,
    windowMs: 30 * 60_000,
    retryMs: 300_000,
    namespaces: undefined,
    inScope: () => true,
    warnings: { settings: DEFAULT_WARNING_SETTINGS, onWarning: (w) => warnings.push(w) },
  });
  for (const p of pods) s.observe(p as unknown as Record<string, unknown>, true);
  s.synced();
  const poll = async (at: number, usage: Record<string, number>) => {
    items = Object.entries(usage).map(([name, bytes]) => ({
      metadata: { name, namespace: 'shop' },
      timestamp: stamp(at),
      window: '15s',
      containers: [{ name: 'api', usage: { cpu: '0', memory: `${Math.round(bytes / 1024)}Ki` } }],
    }));
    await s.poll(signal);
    s.warn();
  };
  return { s, warnings, poll };
}

const api = (name: string, limit: string | undefined) => pod({ name, uid: `uid-${name}`, containers: [container({ name: 'api', ...(limit ? { limit } : {}), request: '256Mi' })], statuses: [runningStatus('api')] });

describe('MemorySampler: warnings before the kill', () => {
  it('warns once about the container climbing into its limit, not about the flat one near its limit nor one without a limit', async () => {
    const h = harness([api('climbing', '512Mi'), api('flat', '512Mi'), api('unlimited', undefined)]);
    for (let i = 0; i < 40; i++) await h.poll(i * 30, { climbing: (300 + 6 * i) * Mi, flat: 490 * Mi, unlimited: (300 + 20 * i) * Mi });
    expect(h.warnings.map((w) => [w.name, w.container, w.warning.restarts])).toEqual([['climbing', 'api', 0]]);
    expect(h.warnings[0]!.warning.bytesPerMinute / Mi).toBeCloseTo(12, 0);
  });

  it("the warning's envelope is version 2 and carries the curve up to the warning, with the limit and no kill", async () => {
    const climbing = api('climbing', '512Mi');
    const h = harness([climbing]);
    for (let i = 0; i < 30; i++) await h.poll(i * 30, { climbing: (300 + 6 * i) * Mi });
    const w = h.warnings[0]!;
    const o: Occurrence = {
      kind: 'memory-warning',
      occurrenceId: 'warn-x',
      occurredAt: new Date(w.warning.atMs).toISOString(),
      node: climbing.spec.nodeName,
      podUid: 'uid-climbing',
      container: 'api',
      warning: { restarts: 0, climbStartedAt: new Date(w.warning.climbStartMs).toISOString(), workingSetBytes: w.warning.workingSetBytes, limitBytes: w.warning.limitBytes, bytesPerMinute: w.warning.bytesPerMinute, reachesLimitAt: new Date(w.warning.reachesLimitAtMs).toISOString() },
    };
    const memory = h.s.memoryFor(o, climbing);
    const envelope = EnvelopeSchema.parse(buildEnvelope('c', o, climbing, [], new Date(w.warning.atMs), memory));
    expect(envelope.version).toBe(2);
    const series = decodeSeries(envelope.memory!.series);
    expect(series.killedAt).toBeUndefined();
    expect(series.limitBytes).toBe(512 * Mi);
    expect(series.samples.at(-1)!.at).toBe(w.warning.atMs);
    expect(series.samples).toHaveLength(28); // polls 0..27: the warning came at the 28th
    expect(envelope.memory!.nodeTop).toBeUndefined();
    // Without its curve a warning is not an envelope.
    expect(EnvelopeSchema.safeParse(buildEnvelope('c', o, climbing, [], new Date(), undefined)).success).toBe(false);
  });

  it('a new leader, sampling from the takeover on, warns the same climb under the same occurrence id', async () => {
    const climbing = api('climbing', '512Mi');
    const usage = (i: number) => ({ climbing: (300 + 6 * i + (i % 3) * 2) * Mi });
    const old = harness([climbing]);
    for (let i = 0; i < 30; i++) await old.poll(i * 30, usage(i));
    // The Lease changes hands after the old leader's warning; the new one starts with no samples and no climbs.
    const next = harness([climbing]);
    for (let i = 30; i < 36; i++) await next.poll(i * 30, usage(i));
    const id = (w: SampledWarning) => memoryWarningId('c', 'uid-climbing', w.container, w.warning.restarts, w.warning.limitBytes, w.warning.climb);
    expect([old.warnings.length, next.warnings.length]).toEqual([1, 1]);
    expect(next.warnings[0]!.warning.atMs).toBeGreaterThan(old.warnings[0]!.warning.atMs);
    expect(id(next.warnings[0]!)).toBe(id(old.warnings[0]!));
  });
});
