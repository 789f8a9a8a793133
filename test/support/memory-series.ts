// Memory sample series for tests and the bench, drawn from small shape functions (a climb, bursts, a step) rather than
// typed out: the shape, the sampling, the noise, the restarts and the gaps are each one argument.
import type { MemorySeries } from '#shared/memory-series.ts';
import { MiB } from '#shared/quantity.ts';

export const START = Date.UTC(2026, 0, 15, 10, 0, 0);

/** Where a sample falls: minutes since the series began, since the container last started, and which run it is. */
export interface Moment {
  minute: number;
  sinceStart: number;
  run: number;
}

export interface SeriesSpec {
  minutes: number;
  stepSeconds?: number;
  /** Working set in MiB at a moment, before noise. */
  level: (m: Moment) => number;
  noiseMi?: number;
  seed?: number;
  /** Minutes at which the container restarted. */
  restartsAt?: number[];
  /** Moments with no sample (a gap in sampling). */
  missing?: (minute: number) => boolean;
  limitMi?: number;
  requestMi?: number;
  /** Killed this many seconds after the last sample. */
  killedAfterSeconds?: number;
  /** RSS in MiB at a moment, when the Summary API was read. */
  rss?: (m: Moment) => number;
  container?: string;
}

/** A series as the forwarder would send it: whole-second instants, page-sized values, restart counts on each sample. */
export function makeSeries(spec: SeriesSpec): MemorySeries {
  const step = spec.stepSeconds ?? 30;
  const random = mulberry32(spec.seed ?? 1);
  const restarts = [...(spec.restartsAt ?? [])].sort((a, b) => a - b);
  const samples: MemorySeries['samples'] = [];
  for (let i = 0; i * step < spec.minutes * 60; i++) {
    const minute = (i * step) / 60;
    if (spec.missing?.(minute)) continue;
    const run = restarts.filter((r) => r <= minute).length;
    const moment = { minute, sinceStart: minute - (restarts[run - 1] ?? 0), run };
    const noise = spec.noiseMi ? gaussian(random) * spec.noiseMi : 0;
    const sample: MemorySeries['samples'][number] = { at: START + i * step * 1000, workingSetBytes: page(Math.max(1, spec.level(moment) + noise) * MiB), restarts: run };
    if (spec.rss) sample.rssBytes = page(spec.rss(moment) * MiB);
    samples.push(sample);
  }
  const series: MemorySeries = { container: spec.container ?? 'api', samples };
  if (spec.limitMi !== undefined) series.limitBytes = spec.limitMi * MiB;
  if (spec.requestMi !== undefined) series.requestBytes = spec.requestMi * MiB;
  if (spec.killedAfterSeconds !== undefined) series.killedAt = samples.at(-1)!.at + spec.killedAfterSeconds * 1000;
  return series;
}

// Shapes, in MiB.
export const climb = (fromMi: number, miPerMinute: number) => (m: Moment) => fromMi + miPerMinute * m.sinceStart;
export const steady = (mi: number) => () => mi;
/** A baseline with a burst every `every` minutes that rises to `peakMi` and recedes over `width` minutes. */
export const bursts = (baseMi: number, peakMi: number, every: number, width: number) => (m: Moment) => {
  const phase = m.minute % every;
  return phase < width ? baseMi + (peakMi - baseMi) * Math.sin((Math.PI * phase) / width) : baseMi;
};
export const stepUp = (fromMi: number, toMi: number, atMinute: number) => (m: Moment) => (m.minute < atMinute ? fromMi : toMi);

function page(bytes: number): number {
  return Math.round(bytes / 4096) * 4096;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
