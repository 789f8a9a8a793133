// Before the kill (issue 12 item 5; docs/domain.md §14): a container whose working set is near its limit and still
// climbing towards it gets one warning, before the kernel kills it. Pure: each poll hands the detector the container's
// recent samples and its state from the previous poll, and gets back the new state and, at most once per climb, a
// warning. Hysteresis keeps it quiet: a container that sits near its limit without climbing is not warned; once warned,
// it is warned again only after it fell well below the limit (a new climb) or restarted.
import type { MemorySample } from '#shared/memory-series.ts';
import { theilSen } from '#shared/theil-sen.ts';

export interface WarningSettings {
  /** Warn when the fitted line reaches the limit within this long. */
  horizonMs: number;
  /** "Near": the working set is at least this share of the limit. */
  nearFraction: number;
  /** Re-arm once the working set fell under this share of the limit. */
  rearmFraction: number;
  /** The slope is fitted over the samples of this recent span. */
  fitSpanMs: number;
  /** Fewer samples than this in the span fit no slope worth warning on. */
  minSamples: number;
  /**
   * A climb rises at least this share of the limit over the fit span: a container that sits near its limit, its
   * samples wobbling by a page or two, has a fitted slope of about zero, but a tiny positive one would still "reach"
   * the limit a few MiB away; this floor tells a climb from a plateau.
   */
  minRiseFraction: number;
}

export const DEFAULT_WARNING_SETTINGS: WarningSettings = {
  horizonMs: 15 * 60_000,
  nearFraction: 0.9,
  rearmFraction: 0.8,
  fitSpanMs: 5 * 60_000,
  minSamples: 4,
  minRiseFraction: 0.02,
};

/** What the detector remembers of one container between polls. */
export interface ClimbState {
  /** The container's restartCount when this state was kept: a restart starts afresh. */
  restarts: number;
  /** False once this climb was warned about, until the working set falls under the re-arm level. */
  armed: boolean;
  /** When the working set first reached the near level in this climb (ms since the epoch). */
  nearSinceMs: number | undefined;
}

export interface MemoryWarning {
  /** When this climb reached the near level: with the pod, container and restart count it names the warning. */
  climbStartMs: number;
  /** The last sample's time and working set. */
  atMs: number;
  workingSetBytes: number;
  limitBytes: number;
  /** Fitted slope, bytes per minute. */
  bytesPerMinute: number;
  /** When the fitted line reaches the limit (ms since the epoch); `atMs` when it is already there. */
  reachesLimitAtMs: number;
  restarts: number;
}

export interface WarningStep {
  state: ClimbState;
  warning?: MemoryWarning;
}

/**
 * One poll's judgement of one container. `samples` are oldest first (the ring's, shared/memory-series.ts); only those
 * of the current run (the newest sample's restart count) count.
 */
export function stepWarning(previous: ClimbState | undefined, samples: readonly MemorySample[], limitBytes: number | undefined, settings: WarningSettings = DEFAULT_WARNING_SETTINGS): WarningStep {
  const last = samples.at(-1);
  const restarts = last?.restarts ?? previous?.restarts ?? 0;
  const state: ClimbState = previous && previous.restarts === restarts ? { ...previous } : { restarts, armed: true, nearSinceMs: undefined };
  if (!last || !limitBytes || limitBytes <= 0) return { state };
  if (last.workingSetBytes < settings.rearmFraction * limitBytes) return { state: { restarts, armed: true, nearSinceMs: undefined } };
  if (last.workingSetBytes < settings.nearFraction * limitBytes) return { state };
  state.nearSinceMs ??= last.at;
  if (!state.armed) return { state };

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of samples) {
    if (s.at < last.at - settings.fitSpanMs || (s.restarts ?? restarts) !== restarts) continue;
    xs.push(s.at);
    ys.push(s.workingSetBytes);
  }
  if (xs.length < settings.minSamples) return { state };
  const { slope } = theilSen(xs, ys); // bytes per ms
  const span = xs.at(-1)! - xs[0]!;
  if (!(slope > 0) || slope * span < settings.minRiseFraction * limitBytes) return { state };
  const room = Math.max(0, limitBytes - last.workingSetBytes);
  const etaMs = room / slope;
  if (etaMs > settings.horizonMs) return { state };
  state.armed = false;
  return {
    state,
    warning: {
      climbStartMs: state.nearSinceMs,
      atMs: last.at,
      workingSetBytes: last.workingSetBytes,
      limitBytes,
      bytesPerMinute: slope * 60_000,
      reachesLimitAtMs: last.at + Math.round(etaMs),
      restarts,
    },
  };
}
