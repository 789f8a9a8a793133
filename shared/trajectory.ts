// The diagnosed container's memory before its death, read for the diagnosis (docs/domain.md §14): the forwarder's
// series completed from the pod (the kill, the limit and request the verdict speaks of) and what its curve says.
import type { Finding, Observed } from './findings.ts';
import { classifyCurve, minutes, type Curve } from './memory-curve.ts';
import type { MemorySeries } from './memory-series.ts';
import type { UnseenEntry } from './unseen.ts';

export interface Trajectory {
  series: MemorySeries;
  curve: Curve;
}

/**
 * The series, when it is the diagnosed container's and holds samples, and its curve. Its kill is the termination's
 * `finishedAt` when the forwarder did not say; its limit and request those the diagnosis read from the pod (they bound
 * the container when it died), else the series' own.
 */
export function trajectoryOf(series: MemorySeries | undefined, o: Observed, f: Finding): Trajectory | undefined {
  if (!series || series.container !== o.container || !series.samples.length) return undefined;
  const finished = o.termination?.terminated.finishedAt ? Date.parse(o.termination.terminated.finishedAt) : NaN;
  const killedAt = series.killedAt ?? (Number.isNaN(finished) ? undefined : Math.floor(finished / 1000) * 1000);
  // A pod-level limit bounds the pod, not this container alone: the container's own limit, if any, is the series'.
  const own = o.resources.limitScope === 'container' ? o.resources.limitBytes : undefined;
  const limitBytes = own ?? series.limitBytes;
  const requestBytes = o.resources.requestBytes ?? series.requestBytes;
  const completed: MemorySeries = { container: series.container, samples: series.samples };
  if (limitBytes !== undefined) completed.limitBytes = limitBytes;
  if (requestBytes !== undefined) completed.requestBytes = requestBytes;
  if (killedAt !== undefined) completed.killedAt = killedAt;
  return { series: completed, curve: classifyCurve(completed, { killedAtLimit: killedAtOwnLimit(f) }) };
}

/** The kill was at the container's own limit: usage reached it, whatever the last sample said (docs/domain.md §14). */
export function killedAtOwnLimit(f: Finding): boolean {
  return f.cause === 'limit' && f.kind !== 'pod-limit';
}

/** Too few samples to read a curve: said under "Not seen", with what was there and what would be enough. */
export function tooFewEntry(curve: Curve): UnseenEntry | undefined {
  if (curve.kind !== 'too-few') return undefined;
  const need = curve.needed ? `; at least ${curve.needed.samples} over ${curve.needed.minutes} min needed` : '';
  return { source: 'memory-samples', reason: 'too-few', detail: `${curve.samples} sample${curve.samples === 1 ? '' : 's'} over ${minutes(curve.spanMinutes)}${need}` };
}
