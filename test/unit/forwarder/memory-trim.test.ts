// The memory part of an envelope under PutEvents' 256 KB, whatever the cluster writes: names at their longest, pods with
// many containers, long curves (forwarder/memory-trim.ts, forwarder/envelopes.ts).
import { describe, expect, it } from 'vitest';
import { entrySize, MAX_REQUEST_BYTES } from '../../../forwarder/delivery.ts';
import { buildEnvelope, toEntry } from '../../../forwarder/envelopes.ts';
import { halveSeries, MIN_THINNED_SAMPLES } from '../../../forwarder/memory-trim.ts';
import { trimPod } from '../../../forwarder/trim.ts';
import { EnvelopeSchema, MAX_NODE_MEMORY_USERS, type OccurrenceMemory } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { decodeSeries, encodeSeries, MAX_SAMPLES, type MemorySeries } from '#shared/memory-series.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { climb, makeSeries } from '../../support/memory-series.ts';
import { container, event, pod, restartedStatus } from '../../support/k8s-factories.ts';

const Mi = 2 ** 20;
const long = (n: number, seed: string) => `${seed}-${'x'.repeat(n)}`.slice(0, n);
/** A DNS subdomain at its 253 characters, a DNS label at its 63. */
const NAME = long(253, 'pod');
const LABEL = (i: number) => long(63, `c${i}`);

/** Half a day of samples at the 15 s floor, noisy, climbing across restarts: the most a ring holds. */
function longestSeries(killedAt: number): MemorySeries {
  const s = makeSeries({ minutes: MAX_SAMPLES / 4, stepSeconds: 15, level: climb(200, 0.3), noiseMi: 40, restartsAt: [100, 300, 500], limitMi: 1024, requestMi: 512, container: LABEL(0) });
  const shift = killedAt - 1000 - s.samples.at(-1)!.at;
  return { ...s, samples: s.samples.map((x) => ({ ...x, at: x.at + shift })), killedAt };
}

function hostilePod(containers: number, messageBytes = 2000, argBytes = 4000): Pod {
  return pod({
    name: NAME,
    namespace: LABEL(99),
    containers: Array.from({ length: containers }, (_, i) => container({ name: LABEL(i), limit: '1Gi', args: [long(argBytes, 'arg')] })),
    statuses: Array.from({ length: containers }, (_, i) => restartedStatus(LABEL(i), { reason: 'OOMKilled', exitCode: 137, message: long(messageBytes, 'm') }, 1)),
    metadata: { labels: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [long(63, `l${i}`), long(63, 'v')])) },
  });
}

function memoryFor(p: Pod, killedAt: number): OccurrenceMemory {
  return {
    series: encodeSeries(longestSeries(killedAt)),
    nodeTop: Array.from({ length: MAX_NODE_MEMORY_USERS }, (_, i) => ({ namespace: LABEL(90 + i), pod: long(253, `top${i}`), container: LABEL(i), workingSetBytes: (2000 - i) * Mi, requestBytes: 100 * Mi })),
    nodeSampledAt: new Date(killedAt - 5000).toISOString(),
  };
}

function entryOf(p: Pod, withMemory: boolean, limit = MAX_REQUEST_BYTES, eventCount = 8) {
  const o = podOccurrences('prod', p)[0]!;
  const events = Array.from({ length: eventCount }, (_, i) => event({ reason: 'Killing', message: long(1000, `e${i}`) }));
  return toEntry(buildEnvelope('prod', o, trimPod(p), events, new Date(), withMemory ? memoryFor(p, Date.parse(o.occurredAt)) : undefined), 'oombot.forwarder', limit);
}

describe('halveSeries', () => {
  it('keeps the newest sample and the higher of each pair before it, so a peak survives', () => {
    const series: MemorySeries = { container: 'api', samples: [1, 5, 2, 3, 9, 4, 7].map((mi, i) => ({ at: i * 30_000, workingSetBytes: mi * Mi })) };
    expect(halveSeries(series, 2)!.samples.map((s) => s.workingSetBytes / Mi)).toEqual([5, 3, 9, 7]);
    expect(halveSeries({ ...series, samples: series.samples.slice(0, 2) }, 2)).toBeUndefined();
  });
});

describe('memory in an entry that must fit 256 KB', () => {
  it('carries half a day of samples and the node’s top users at their longest names, under the limit', () => {
    const entry = entryOf(hostilePod(1, 200), true);
    expect(entrySize(entry)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    const e = EnvelopeSchema.parse(JSON.parse(entry.detail));
    expect(e.version).toBe(2);
    expect(decodeSeries(e.memory!.series)).toEqual(decodeSeries(encodeSeries(longestSeries(Date.parse(e.occurredAt)))));
    expect(e.memory!.nodeTop).toHaveLength(MAX_NODE_MEMORY_USERS);
  });

  it('thins the curve before it touches the pod: fewer samples, still in order, the peak and the last one before the kill kept', () => {
    const p = hostilePod(1, 200);
    const full = EnvelopeSchema.parse(JSON.parse(entryOf(p, true, MAX_REQUEST_BYTES, 0).detail));
    const original = decodeSeries(full.memory!.series);
    const tight = entrySize(entryOf(p, true, MAX_REQUEST_BYTES, 0)) - 6_000;
    const e = EnvelopeSchema.parse(JSON.parse(entryOf(p, true, tight, 0).detail));
    const thinned = decodeSeries(e.memory!.series);
    expect(thinned.samples.length).toBeLessThan(original.samples.length);
    expect(thinned.samples.length).toBeGreaterThan(MIN_THINNED_SAMPLES);
    expect(thinned.samples.at(-1)).toEqual(original.samples.at(-1));
    expect(Math.max(...thinned.samples.map((s) => s.workingSetBytes))).toBe(Math.max(...original.samples.map((s) => s.workingSetBytes)));
    expect(thinned.killedAt).toBe(original.killedAt);
    // The pod kept its command lines: they go only after the curve has been thinned.
    expect(e.kind === 'container-termination' && e.pod.spec.containers[0]!.args).toHaveLength(1);
  });

  it('never costs an occurrence its entry: memory goes, back to version 1, where only the bare pod fits', () => {
    const p = hostilePod(40, 300, 500);
    const fits = (limit: number) => {
      try {
        entryOf(p, false, limit);
        return true;
      } catch {
        return false;
      }
    };
    // The smallest entry this occurrence can have without memory: the pod cut to its identity.
    let [lo, hi] = [1_000, MAX_REQUEST_BYTES];
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) hi = mid;
      else lo = mid + 1;
    }
    const bare = lo;
    expect(() => entryOf(p, true, bare - 1)).toThrow(/does not fit a PutEvents entry/);
    const at = (limit: number) => {
      const entry = entryOf(p, true, limit);
      expect(entrySize(entry)).toBeLessThanOrEqual(limit);
      const e = EnvelopeSchema.parse(JSON.parse(entry.detail));
      expect(e.version).toBe(e.memory ? 2 : 1);
      return e.memory;
    };
    expect(at(bare)).toBeUndefined();
    const some = at(bare + 1_500)!;
    expect(some.nodeTop!.length).toBeLessThan(MAX_NODE_MEMORY_USERS);
    expect(decodeSeries(some.series).samples.length).toBeGreaterThan(0);
  });

  it('keeps the memory of a pod of 300 long-named containers at the real limit, at the cost of its command lines', () => {
    const entry = entryOf(hostilePod(300, 200, 500), true);
    expect(entrySize(entry)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    const e = EnvelopeSchema.parse(JSON.parse(entry.detail));
    expect(e.version).toBe(e.memory ? 2 : 1);
    // The curve, thinned, and the node's users stay; the command lines went instead.
    expect(e.memory?.nodeTop).toHaveLength(MAX_NODE_MEMORY_USERS);
    expect(decodeSeries(e.memory!.series).samples.length).toBeGreaterThan(MIN_THINNED_SAMPLES / 2);
    expect(e.kind === 'container-termination' && e.pod.spec.containers[0]!.args).toBeUndefined();
  });
});
