// Shrinking the memory an envelope carries (shared/envelope.ts, version 2) when its entry would pass PutEvents' 256 KB,
// a step at a time, each applied again while the entry is still too big (forwarder/envelopes.ts): first the curve loses
// resolution, keeping each pair's higher sample and always the last one before the kill; later the node's smallest top
// users go, then the curve's oldest half at a time, and at last the memory part itself, back to version 1.
import type { Envelope } from '#shared/envelope.ts';
import { ENVELOPE_VERSION } from '#shared/envelope-constants.ts';
import type { EncodedSeries, MemorySeries } from '#shared/memory-series.ts';
import { decodeEncodedSeries, encodeSeries } from '#shared/memory-series-codec.ts';

/** Halving stops once a curve holds no more than this: fewer would say little more than its last samples. */
export const MIN_THINNED_SAMPLES = 16;

type Step = (e: Envelope) => Envelope | undefined;

function withSeries(e: Envelope, f: (s: MemorySeries) => MemorySeries | undefined): Envelope | undefined {
  const encoded = e.memory?.series;
  if (!encoded) return undefined;
  const series = f(decodeEncodedSeries(encoded));
  if (!series) return undefined;
  return { ...e, memory: { ...e.memory, series: reencode(series, encoded) } };
}

function reencode(series: MemorySeries, like: EncodedSeries): EncodedSeries {
  return encodeSeries(series, like.q);
}

/**
 * Half the samples: from the newest back, each pair keeps its higher working set (a peak survives; the low half of a
 * sawtooth does not), and the newest sample always stays. A restart between two samples still shows: the next sample
 * kept carries the higher count.
 */
export function halveSeries(series: MemorySeries, floor = MIN_THINNED_SAMPLES): MemorySeries | undefined {
  const s = series.samples;
  if (s.length <= floor) return undefined;
  const kept = [s[s.length - 1]!];
  let i = s.length - 2;
  for (; i >= 1; i -= 2) kept.push(s[i]!.workingSetBytes >= s[i - 1]!.workingSetBytes ? s[i]! : s[i - 1]!);
  if (i === 0) kept.push(s[0]!);
  return { ...series, samples: kept.reverse() };
}

/** The newer half of the samples, down to two. */
export function dropOldestHalf(series: MemorySeries): MemorySeries | undefined {
  const s = series.samples;
  if (s.length <= 2) return undefined;
  return { ...series, samples: s.slice(Math.floor(s.length / 2)) };
}

function withoutMemoryPart(e: Envelope, part: 'series' | 'nodeTop'): Envelope | undefined {
  if (!e.memory?.[part]) return undefined;
  const rest = { ...e.memory };
  if (part === 'series') delete rest.series;
  else {
    delete rest.nodeTop;
    delete rest.nodeSampledAt;
  }
  if (rest.series || rest.nodeTop) return { ...e, memory: rest };
  const bare = { ...e, version: ENVELOPE_VERSION as 1 };
  delete bare.memory;
  return bare;
}

export const thinSeries: Step = (e) => withSeries(e, (s) => halveSeries(s));

/** One top user fewer, the smallest first; the last one takes the list with it. */
export const dropSmallestTopUser: Step = (e) => {
  const top = e.memory?.nodeTop;
  if (!top) return undefined;
  if (top.length <= 1) return withoutMemoryPart(e, 'nodeTop');
  return { ...e, memory: { ...e.memory, nodeTop: top.slice(0, -1) } };
};

export const dropOldestSamples: Step = (e) => withSeries(e, dropOldestHalf) ?? withoutMemoryPart(e, 'series');
