// A container's working-set samples as the chart and the sparkline read them: cleaned, in time order, and cut where
// sampling stopped for a while (a forwarder restart, a leader change, metrics-server missing a scrape), so a gap is
// shown as a gap and never drawn as a straight line across it.

/**
 * What the chart reads of a sample: when (ms since the epoch) and the container's working set in bytes. The two
 * fields only, so any richer sample record with these fields (the forwarder's, issue 12 item 2) is one as it is.
 */
export interface ChartSample {
  readonly at: number;
  readonly workingSetBytes: number;
}

/** Samples further apart than this many typical intervals are a gap: one missed poll is not, two are. */
const GAP_FACTOR = 2.5;

/** The usable samples in time order: finite, non-negative, one per instant (the last given wins). */
export function cleanSeries(samples: readonly ChartSample[]): ChartSample[] {
  const byTime = new Map<number, ChartSample>();
  for (const s of samples) if (Number.isFinite(s.at) && Number.isFinite(s.workingSetBytes) && s.workingSetBytes >= 0) byTime.set(s.at, s);
  return [...byTime.values()].sort((a, b) => a.at - b.at);
}

/** The median interval between neighbouring samples; undefined with fewer than two samples. */
export function typicalInterval(series: readonly ChartSample[]): number | undefined {
  if (series.length < 2) return undefined;
  const intervals = series.slice(1).map((s, i) => s.at - series[i]!.at).sort((a, b) => a - b);
  return intervals[Math.floor(intervals.length / 2)]!;
}

/**
 * The interval past which two neighbouring samples have a gap between them: a multiple of the typical one. Two
 * samples alone have nothing to compare their interval with, so they are never a gap.
 */
export function gapThreshold(series: readonly ChartSample[]): number {
  return series.length < 3 ? Infinity : typicalInterval(series)! * GAP_FACTOR;
}

/** The series cut at its gaps into runs of samples that may be joined by a line. */
export function runsOf(series: readonly ChartSample[]): ChartSample[][] {
  const threshold = gapThreshold(series);
  const runs: ChartSample[][] = [];
  series.forEach((s, i) => {
    if (i === 0 || s.at - series[i - 1]!.at > threshold) runs.push([s]);
    else runs.at(-1)!.push(s);
  });
  return runs;
}

export function peakOf(series: readonly ChartSample[]): number {
  return series.reduce((max, s) => Math.max(max, s.workingSetBytes), 0);
}
