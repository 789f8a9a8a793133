// The pieces a memory curve is read from (docs/domain.md §14): its runs between restarts, the noise between
// neighbouring samples, and the shape of each run — climbing, swinging, stepped or flat. memory-curve.ts decides from
// them.
import { medianInPlace, rSquared, theilSen, type Line } from './theil-sen.ts';

/** Samples `from`..`to` (exclusive) between two restarts. */
export interface Run {
  from: number;
  to: number;
}

export interface RunShape {
  run: Run;
  /**
   * climbing: rose by a real amount and still rising in its later half, giving nothing back (or each low higher than
   * the last); swinging: fell back by a real amount, lows not rising; stepped: ended higher than it began by a real
   * amount, but neither; flat: none of these.
   */
  kind: 'climbing' | 'swinging' | 'stepped' | 'flat';
  line: Line;
  r2: number;
  peakIndex: number;
  /** The lowest point before the peak: where the climb began. */
  lowIndex: number;
  swings: number;
}

/** Still climbing: the later half of a run climbs at least this share of the whole run's rate. */
const STILL_CLIMBING = 0.4;

/** Runs cut where the restart count changes; samples without a count stay in the run they are in. */
export function splitRuns(restarts: readonly (number | undefined)[]): Run[] {
  const runs: Run[] = [];
  let from = 0;
  let current: number | undefined;
  for (let i = 0; i < restarts.length; i++) {
    const r = restarts[i];
    if (r === undefined) continue;
    if (current !== undefined && r !== current) {
      runs.push({ from, to: i });
      from = i;
    }
    current = r;
  }
  if (restarts.length > from) runs.push({ from, to: restarts.length });
  return runs;
}

/**
 * Robust σ of the sample noise, from second differences (zero along any straight stretch, so a climb or a slow burst is
 * not counted as noise), within runs and never across a gap.
 */
export function sampleNoise(xs: readonly number[], ys: readonly number[], runs: readonly Run[], gapOver: number): number {
  const d: number[] = [];
  for (const r of runs) {
    for (let i = r.from + 1; i < r.to - 1; i++) {
      if (xs[i]! - xs[i - 1]! > gapOver || xs[i + 1]! - xs[i]! > gapOver) continue;
      d.push(ys[i + 1]! - 2 * ys[i]! + ys[i - 1]!);
    }
  }
  if (d.length < 3) return 0;
  const values = Float64Array.from(d);
  const center = medianInPlace(values.slice());
  for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]! - center);
  // 1.4826 × MAD is σ for normal noise; a second difference of independent samples has variance 6σ².
  return (1.4826 * medianInPlace(values)) / Math.sqrt(6);
}

/** A run's shape, against what counts as a real rise and a real fall for this series. */
export function shapeOf(run: Run, xs: readonly number[], ys: readonly number[], riseOver: number, swingOver: number): RunShape {
  const { from, to } = run;
  const line = theilSen(xs, ys, from, to);
  // Lows, swings and the fit's R² are read on a running median of three, so that one sample caught mid-collection is
  // neither a fall nor a misfit; peaks are read raw (never below what was observed).
  const runXs = xs.slice(from, to);
  const smooth = runXs.map((_, k) => (k === 0 || k === to - from - 1 ? ys[from + k]! : median3(ys[from + k - 1]!, ys[from + k]!, ys[from + k + 1]!)));
  const r2 = rSquared(runXs, smooth, line);
  let peakIndex = from;
  for (let i = from + 1; i < to; i++) if (ys[i]! >= ys[peakIndex]!) peakIndex = i;
  let low = 0;
  for (let k = 1; k <= peakIndex - from; k++) if (smooth[k]! < smooth[low]!) low = k;
  // Swings: a fall from a high by swingOver or more; a low counts once memory rises from it by as much again.
  let rising = true;
  let extreme = smooth[0]!;
  let swings = 0;
  const lows = [extreme];
  for (const y of smooth) {
    if (rising) {
      if (y > extreme) extreme = y;
      else if (extreme - y >= swingOver) [rising, extreme, swings] = [false, y, swings + 1];
    } else if (y < extreme) extreme = y;
    else if (y - extreme >= swingOver) {
      lows.push(extreme);
      [rising, extreme] = [true, y];
    }
  }
  const duration = runXs.at(-1)! - runXs[0]!;
  let half = 0;
  while (runXs[half]! < runXs[0]! + duration / 2) half++;
  const later = to - from - half >= 2 ? theilSen(xs, ys, from + half, to).slope : line.slope;
  const lowsRising = lows.length > 1 && lows.every((l, i) => i === 0 || l > lows[i - 1]!) && lows.at(-1)! - lows[0]! >= riseOver;
  const stillClimbing = line.slope > 0 && later >= STILL_CLIMBING * line.slope;
  const kind =
    line.slope * duration >= riseOver && stillClimbing && (swings === 0 || lowsRising)
      ? 'climbing'
      : swings > 0 && !lowsRising
        ? 'swinging'
        : smooth.at(-1)! - smooth[0]! >= riseOver
          ? 'stepped'
          : 'flat';
  return { run, kind, line, r2, peakIndex, lowIndex: from + low, swings };
}

/** How many restarts in a row, counting back from the last, each peaked higher than the run before by `by` or more. */
export function risingPeaks(peaks: readonly number[], by: number): number {
  let count = 0;
  for (let i = peaks.length - 1; i > 0 && peaks[i]! - peaks[i - 1]! >= by; i--) count++;
  return count;
}

function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
