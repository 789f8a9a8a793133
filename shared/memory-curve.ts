// What a container's memory did before it died, read from its samples (docs/domain.md §14): a leak, a spike, a plateau
// at the limit, growth that follows the work, or flat; or too few samples to tell. Pure: the instants come in the data.
//
// Without a load metric, what memory alone can honestly say about load is whether memory is given back. Memory that
// follows the work rises with a burst and falls back when it passes, and after a restart it comes back to whatever the
// work needs. A leak never gives memory back: it climbs until something kills it, and after a restart it starts low and
// climbs again at the same rate. So:
//  - `leak`: a run between restarts still climbing at its end, with nothing given back (or with each low higher than
//    the last); stronger when the runs before it climbed alike, or each restart peaked higher. Over one run a steady
//    climb is also what load that only grows looks like: the evidence says one run or across restarts, and the caller
//    may say "leak-like";
//  - `load`: memory that fell back by a real amount at least once (a swing larger than the noise and than 8 % of the
//    limit) with its lows not rising; or that stepped up and then held, which a leak does not do;
//  - `spike`: a jump far above the trend within the last two samples before the kill, or, when the caller knows the
//    kill was at the limit, a last sample far below the limit just before it: it got there faster than the sampling;
//  - `plateau`: at 90 % of the limit or more for the last minutes before the kill;
//  - `flat`: none of these moves beyond the noise.
// Missing samples are gaps, not steps: the fits use the real instants, a jump counts only between neighbouring samples,
// and the noise is read only across samples without a gap between them.
import * as z from 'zod';
import type { MemorySeries } from './memory-series.ts';
import { formatBytes, MiB } from './quantity.ts';
import { risingPeaks, sampleNoise, shapeOf, splitRuns, type RunShape } from './curve-runs.ts';
import { medianInPlace, rSquared, theilSen } from './theil-sen.ts';

export const CurveKindSchema = z.enum(['leak', 'spike', 'plateau', 'load', 'flat', 'too-few']);
export type CurveKind = z.infer<typeof CurveKindSchema>;

/** Fewer samples, or a shorter span, and one stray sample moves the median slope: say "too few" rather than guess. */
export const MIN_SAMPLES = 8;
export const MIN_SPAN_MINUTES = 4;
/** A run between restarts needs as many for a shape of its own. */
const RUN_MIN_SAMPLES = 4;
const RUN_MIN_MINUTES = 2;
/** An interval longer than this many typical intervals is a gap: one missed poll is not, two are. */
export const GAP_FACTOR = 2.5;
/** Moves are measured against a scale (the limit, else the peak) and against the noise; the larger wins. */
const RISE_FRACTION = 0.05;
const SWING_FRACTION = 0.08;
const SPIKE_FRACTION = 0.2;
const NOISE_MULTIPLE = 6;
const NEAR_LIMIT = 0.9;
const PLATEAU_MIN_MINUTES = 3;
/** Runs "climb alike" when their slopes are within this factor of one another. */
const SIMILAR_SLOPES = 2.5;

export const CurveSchema = z.object({
  kind: CurveKindSchema,
  /** Samples read: those up to the kill. */
  samples: z.number().int().nonnegative(),
  spanMinutes: z.number().nonnegative(),
  /** The typical interval between samples (the median). */
  stepSeconds: z.number().nonnegative(),
  gaps: z.number().int().nonnegative(),
  longestGapMinutes: z.number().nonnegative(),
  /** The highest working set sampled, and when (ms since the epoch). */
  peakBytes: z.number().nonnegative(),
  peakAt: z.number().nonnegative(),
  /** Theil–Sen slope of the run that decided (see `kind`), or of the run peaks for a leak seen only across restarts. */
  slopeBytesPerMinute: z.number(),
  /** How well that line fits its run (R²). */
  r2: z.number().min(0).max(1),
  /** Sample-to-sample noise (robust, from second differences). */
  noiseBytes: z.number().nonnegative(),
  /** The climb in that run: from its lowest point before its peak to the peak. */
  climbFromBytes: z.number().nonnegative(),
  climbMinutes: z.number().nonnegative(),
  restarts: z.number().int().nonnegative(),
  /** Each run's highest sample, oldest run first. */
  runPeaks: z.array(z.number().nonnegative()),
  /** leak: how many runs before the deciding one climbed alike or peaked lower, in a row. */
  runsBefore: z.number().int().nonnegative().optional(),
  /** spike: how far above the trend (or, unseen, how far below the limit) and over how long. */
  jumpBytes: z.number().nonnegative().optional(),
  jumpSeconds: z.number().nonnegative().optional(),
  unseen: z.boolean().optional(),
  /** load: times memory fell back by a real amount. */
  swings: z.number().int().nonnegative().optional(),
  plateauMinutes: z.number().nonnegative().optional(),
  /** too-few: what would be enough. */
  needed: z.object({ samples: z.number().int(), minutes: z.number() }).optional(),
  /** One line in the house style (docs/alert-style.md): "working set rose 3.1 MiB/min for 47 min; ...". */
  evidence: z.string(),
});
export type Curve = z.infer<typeof CurveSchema>;

export interface ClassifyOptions {
  /** The diagnosis found the kill at this container's own limit: then the limit was reached, whatever the last sample said. */
  killedAtLimit?: boolean;
}

export function classifyCurve(series: MemorySeries, options: ClassifyOptions = {}): Curve {
  const killedAt = series.killedAt;
  const used = killedAt === undefined ? series.samples : series.samples.filter((s) => s.at <= killedAt);
  const n = used.length;
  const t0 = used[0]?.at ?? 0;
  const xs = used.map((s) => (s.at - t0) / 60_000);
  const ys = used.map((s) => s.workingSetBytes);
  const span = n ? xs[n - 1]! : 0;
  const intervals = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) intervals[i - 1] = xs[i]! - xs[i - 1]!;
  const step = medianInPlace(intervals);
  const gapOver = step * GAP_FACTOR;
  const gapped = (i: number) => i > 0 && xs[i]! - xs[i - 1]! > gapOver;
  let gaps = 0;
  let longestGap = 0;
  for (let i = 1; i < n; i++) {
    if (!gapped(i)) continue;
    gaps++;
    longestGap = Math.max(longestGap, xs[i]! - xs[i - 1]!);
  }
  const runs = splitRuns(used.map((s) => s.restarts));
  const runPeaks = runs.map((r) => Math.max(...ys.slice(r.from, r.to)));
  let peakIndex = 0;
  for (let i = 1; i < n; i++) if (ys[i]! > ys[peakIndex]!) peakIndex = i;
  const peak = ys[peakIndex] ?? 0;
  const end = killedAt === undefined ? span : (killedAt - t0) / 60_000;
  const limit = series.limitBytes;
  const restarts = Math.max(0, runs.length - 1);

  // Written field by field, never `{ ...base, more }`: Node 20 builds an object literal that starts with a spread
  // slowly, and this runs in every diagnosis that has samples (bench/diagnose.bench.ts).
  let fit = { slope: 0, r2: 0, noise: 0, climbFrom: peak, climbMinutes: 0 };
  const curve = (kind: CurveKind, evidence: string, more?: Partial<Curve>): Curve => {
    const c: Curve = {
      kind,
      samples: n,
      spanMinutes: round1(span),
      stepSeconds: Math.round(step * 60),
      gaps,
      longestGapMinutes: round1(longestGap),
      peakBytes: peak,
      peakAt: used[peakIndex]?.at ?? 0,
      slopeBytesPerMinute: Math.round(fit.slope),
      r2: round2(fit.r2),
      noiseBytes: Math.round(fit.noise),
      climbFromBytes: fit.climbFrom,
      climbMinutes: round1(fit.climbMinutes),
      restarts,
      runPeaks,
      evidence,
    };
    return more ? Object.assign(c, more) : c;
  };
  const tally = `${n} sample${n === 1 ? '' : 's'} over ${minutes(span)}${gaps ? `, ${gaps === 1 ? 'one gap' : `${gaps} gaps`} of up to ${minutes(longestGap)}` : ''}`;
  const tooFew = (why: string): Curve =>
    curve('too-few', `${why}: at least ${MIN_SAMPLES} samples over ${MIN_SPAN_MINUTES} min are needed to read a curve`, { needed: { samples: MIN_SAMPLES, minutes: MIN_SPAN_MINUTES } });
  if (n < MIN_SAMPLES || span < MIN_SPAN_MINUTES) return tooFew(n ? `only ${tally} before the ${killedAt === undefined ? 'last sample' : 'kill'}` : 'no memory samples');

  const noise = sampleNoise(xs, ys, runs, gapOver);
  const scale = limit ?? (peak || 1);
  const riseOver = Math.max(RISE_FRACTION * scale, NOISE_MULTIPLE * noise);
  const swingOver = Math.max(SWING_FRACTION * scale, NOISE_MULTIPLE * noise);
  const shapes = runs.filter((r) => r.to - r.from >= RUN_MIN_SAMPLES && xs[r.to - 1]! - xs[r.from]! >= RUN_MIN_MINUTES).map((r) => shapeOf(r, xs, ys, riseOver, swingOver));
  // The last run long enough to have a shape decides; with none, the numbers describe the whole series.
  const deciding: RunShape | undefined = shapes.at(-1);
  if (deciding) fit = { slope: deciding.line.slope, r2: deciding.r2, noise, climbFrom: ys[deciding.lowIndex]!, climbMinutes: xs[deciding.peakIndex]! - xs[deciding.lowIndex]! };
  else {
    const line = theilSen(xs, ys);
    let low = 0;
    for (let i = 1; i <= peakIndex; i++) if (ys[i]! < ys[low]!) low = i;
    fit = { slope: line.slope, r2: rSquared(xs, ys, line), noise, climbFrom: ys[low]!, climbMinutes: xs[peakIndex]! - xs[low]! };
  }

  const final = runs.at(-1)!;
  const last = n - 1;
  const sinceLast = end - xs[last]!;
  const untilEnd = killedAt === undefined ? 'up to the last sample' : 'before the kill';
  const quietEnd = killedAt !== undefined && sinceLast > gapOver ? `; no sample in the last ${minutes(sinceLast)} before the kill` : '';
  const say = (text: string) => `${text}${quietEnd} (${tally})`;
  const share = (bytes: number) => `${Math.round((bytes / scale) * 100)} % of the ${formatBytes(scale)} limit`;
  const ofLimit = (bytes: number) => (limit ? ` (${share(bytes)})` : '');

  // A spike seen: in the final run, a sample just before the end far above the trend of the run before it, and risen
  // that much from the sample before it, with no gap in between (a rise across a gap may be a climb that went unseen).
  const tailFrom = end - Math.max(GAP_FACTOR * step, 1);
  let bodyTo = final.from;
  while (bodyTo < final.to && xs[bodyTo]! < tailFrom) bodyTo++;
  const jumpOver = Math.max(SPIKE_FRACTION * scale, NOISE_MULTIPLE * noise);
  let steepest = 0;
  for (let i = Math.max(bodyTo, 1); i < final.to; i++) if (!gapped(i)) steepest = Math.max(steepest, ys[i]! - ys[i - 1]!);
  // Unless some sample in the tail rose that much from the one before it, none is a jump: spare the fit.
  if (bodyTo - final.from >= RUN_MIN_SAMPLES && steepest >= jumpOver) {
    const body = theilSen(xs, ys, final.from, bodyTo);
    const bodyRise = Math.max(0, body.slope * (xs[bodyTo - 1]! - xs[final.from]!));
    let jump = 0;
    let at = -1;
    for (let i = bodyTo; i < final.to; i++) {
      if (gapped(i)) continue;
      const above = Math.min(ys[i]! - (body.intercept + body.slope * xs[i]!), ys[i]! - ys[i - 1]!);
      if (above > jump) [jump, at] = [above, i];
    }
    if (at > 0 && jump >= jumpOver && jump >= 2 * bodyRise) {
      const seconds = Math.round((xs[at]! - xs[at - 1]!) * 60);
      const before = killedAt === undefined ? '' : `, ${Math.round((end - xs[at]!) * 60)} s before the kill`;
      const after = bodyRise < riseOver ? `holding near ${formatBytes(body.intercept + body.slope * xs[bodyTo - 1]!)}` : `climbing ${rateText(body.slope)}`;
      return curve('spike', say(`working set jumped from ${formatBytes(ys[at - 1]!)} to ${formatBytes(ys[at]!)}${ofLimit(ys[at]!)} within ${seconds} s${before}, after ${after}`), {
        jumpBytes: Math.round(jump),
        jumpSeconds: seconds,
      });
    }
  }

  // A spike unseen: killed at its limit, yet the last sample, just before, was far below it and not heading there.
  if (options.killedAtLimit && limit !== undefined && killedAt !== undefined && sinceLast <= gapOver) {
    const trend = deciding && deciding.run === final ? deciding.line.intercept + deciding.line.slope * end : ys[last]!;
    if (limit - Math.max(ys[last]!, trend) >= SPIKE_FRACTION * limit) {
      const seconds = Math.round(sinceLast * 60);
      return curve('spike', say(`last sampled at ${formatBytes(ys[last]!)}${ofLimit(ys[last]!)} ${seconds} s before the kill at the limit: it got there faster than the ${Math.round(step * 60)} s sampling could see`), {
        jumpBytes: Math.round(limit - ys[last]!),
        jumpSeconds: seconds,
        unseen: true,
      });
    }
  }

  // A plateau: the last minutes of the final run at 90 % of the limit or more, and level there (a climb through the
  // top 10 % is a climb).
  if (limit !== undefined) {
    let from = last + 1;
    while (from > final.from && ys[from - 1]! >= NEAR_LIMIT * limit) from--;
    const held = end - (xs[from] ?? end);
    const level = last + 1 - from >= 3 ? theilSen(xs, ys, from, last + 1) : undefined;
    if (level && held >= PLATEAU_MIN_MINUTES && Math.abs(level.slope * held) < (RISE_FRACTION / 2) * limit) {
      const slice = ys.slice(from, last + 1);
      const [low, high] = [Math.min(...slice), Math.max(...slice)];
      const pct = (b: number) => Math.round((b / limit) * 100);
      const before = from > final.from ? Math.min(...ys.slice(final.from, from)) : ys[from]!;
      const climbed = ys[from]! - before >= riseOver ? `, after climbing from ${formatBytes(before)}` : '';
      const text = `working set sat at ${formatBytes(low)}–${formatBytes(high)} (${pct(low)}–${pct(high)} % of the ${formatBytes(limit)} limit) for ${minutes(held)} ${untilEnd}`;
      return curve('plateau', say(`${text}${climbed}${pageCache(used.slice(from), low)}`), { plateauMinutes: round1(held) });
    }
  }

  // A leak: the deciding run climbs; stronger when the runs before it climbed alike, or each restart peaked higher.
  const peaks = risingPeaks(runPeaks, Math.max(RISE_FRACTION * scale, 2 * noise));
  if (deciding?.kind === 'climbing') {
    let alike = 0;
    for (let i = shapes.length - 2; i >= 0; i--) {
      const s = shapes[i]!;
      const ratio = s.line.slope / deciding.line.slope;
      if (s.kind !== 'climbing' || ratio > SIMILAR_SLOPES || ratio < 1 / SIMILAR_SLOPES) break;
      alike++;
    }
    const rose = `working set rose ${rateText(deciding.line.slope)} for ${minutes(fit.climbMinutes)} ${untilEnd}`;
    if (peaks >= 2 && peaks >= alike) return curve('leak', say(`${rose}; each of ${peaks} restarts peaked higher`), { runsBefore: peaks });
    if (alike >= 1) {
      const slopes = shapes.slice(-1 - alike).map((s) => s.line.slope / MiB);
      const range = `${Math.min(...slopes).toFixed(1)}–${Math.max(...slopes).toFixed(1)} MiB/min`;
      return curve('leak', say(`${rose}; the ${alike === 1 ? 'run' : `${alike} runs`} before it climbed alike (${range})`), { runsBefore: alike });
    }
    const given = deciding.swings ? 'each low higher than the last' : 'without falling back';
    return curve('leak', say(`${rose}, ${given} (one run, R² ${deciding.r2.toFixed(2)})`), { runsBefore: 0 });
  }
  // Runs too short to climb on their own, but each restart peaked higher: memory that outlives a restart.
  if (peaks >= 2) {
    const peakXs = runs.map((r) => {
      let top = r.from;
      for (let i = r.from + 1; i < r.to; i++) if (ys[i]! >= ys[top]!) top = i;
      return xs[top]!;
    });
    const across = theilSen(peakXs, runPeaks);
    fit = { slope: across.slope, r2: rSquared(peakXs, runPeaks, across), noise, climbFrom: runPeaks[0]!, climbMinutes: peakXs.at(-1)! - peakXs[0]! };
    const seen = runPeaks.slice(-1 - peaks).map(formatBytes).join(' → ');
    return curve('leak', say(`each of ${peaks} restarts peaked higher (${seen}), ${rateText(across.slope)} across restarts`), { runsBefore: peaks });
  }

  if (!deciding) return tooFew(`restarted ${restarts} times in ${minutes(span)}: no run lasted ${RUN_MIN_SAMPLES} samples over ${RUN_MIN_MINUTES} min`);
  const { from, to } = deciding.run;
  const lo = Math.min(...ys.slice(from, to));
  const hi = Math.max(...ys.slice(from, to));
  if (deciding.kind === 'swinging') {
    const times = deciding.swings === 1 ? 'once' : deciding.swings === 2 ? 'twice' : `${deciding.swings} times`;
    return curve('load', say(`working set rose and fell back ${times} between ${formatBytes(lo)} and ${formatBytes(hi)}${ofLimit(hi)}: memory that follows the work, not a leak`), { swings: deciding.swings });
  }
  if (deciding.kind === 'stepped') {
    const held = ys[to - 1]!;
    const text = `working set stepped from ${formatBytes(ys[from]!)} up to ${formatBytes(hi)} and held at ${formatBytes(held)}${ofLimit(held)}: growth that levels off, not a steady climb`;
    return curve('load', say(text), { swings: 0 });
  }
  const mid = (lo + hi) / 2;
  return curve('flat', say(`working set flat at ~${formatBytes(mid)} (±${formatBytes((hi - lo) / 2)}${limit ? `, ${share(mid)}` : ''}) for ${minutes(xs[to - 1]! - xs[from]!)} ${untilEnd}`));
}

/** "3.1 MiB/min": a rate is not a Kubernetes quantity, so it is written out. */
export function rateText(bytesPerMinute: number): string {
  const text = formatBytes(Math.abs(bytesPerMinute));
  const unit = /([KMGT]i)$/.exec(text);
  return `${bytesPerMinute < 0 ? '-' : ''}${unit ? `${text.slice(0, -2)} ${unit[1]}B` : `${text} B`}/min`;
}

/** "47 min", "40 s", "2.5 h". */
export function minutes(value: number): string {
  if (value < 1) return `${Math.round(value * 60)} s`;
  if (value < 120) return `${Math.round(value)} min`;
  return `${round1(value / 60)} h`;
}

/** "; its RSS was ~210Mi, so much of that was page cache", where the Summary API said so (docs/domain.md §14). */
function pageCache(samples: MemorySeries['samples'], low: number): string {
  const rss = samples.map((s) => s.rssBytes).filter((r): r is number => r !== undefined);
  if (rss.length < samples.length / 2) return '';
  const typical = medianInPlace(Float64Array.from(rss));
  return typical < 0.7 * low ? `; its RSS was ~${formatBytes(typical)}, so much of that was page cache` : '';
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
