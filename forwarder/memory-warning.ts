// Before the kill (issue 12 item 5; docs/domain.md §14): a container whose working set is near its limit and still
// climbing towards it gets one warning, before the kernel kills it. Pure: each poll hands the detector the container's
// recent samples and its state from the previous poll, and gets back the new state and, at most once per climb, a
// warning. Hysteresis keeps it quiet: a container that sits near its limit without climbing is not warned; once warned,
// it is warned again only after it fell well below the limit (a new climb) or restarted.
//
// Which climb a warning is about names it (shared/occurrence-id.ts `memoryWarningId`), and the analyzer's claim posts one
// warning per name (docs/architecture.md, "Reliability rules"). Only the leader samples and a new leader starts with no
// samples and no state, so the name may rest only on what any leader sees of the climb: the pod's uid, the container,
// its run (restart count), its limit, and when the fitted line crossed the near level, in buckets of CLIMB_BUCKET_MS.
// The crossing is read off the line, not off the first sample seen near: a leader that took over mid-climb saw none of
// its start, but fits the same line through the samples it has, so both name the climb alike. Buckets trade two ways:
// the same climb named in two buckets (its crossings, fitted by two leaders, straddle a boundary) is warned twice; two
// climbs of one run in one bucket would be named alike, so one leader that warns a re-armed climb moves it to the bucket
// after the last it warned. A new leader cannot know that move: after a takeover, a second climb within the same bucket
// as one the old leader warned is not warned again (its kill still is alerted).
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
  /** The bucket of the last climb of this run warned about, while a re-armed climb could still fall in it. */
  lastClimb?: number | undefined;
}

/**
 * Climbs are named by when their fitted line crossed the near level, to this bucket (see the head of this file): far
 * wider than the minutes by which two leaders' fits of one climb differ, the span of the sampling window by default.
 */
export const CLIMB_BUCKET_MS = 30 * 60_000;

/** Whether a state holds nothing worth keeping between polls: armed, not near, no warned climb to step past. */
export function idleClimb(state: ClimbState): boolean {
  return state.armed && state.nearSinceMs === undefined && state.lastClimb === undefined;
}

export interface MemoryWarning {
  /** When this leader first saw this climb at the near level (shown as when it started). */
  climbStartMs: number;
  /** The climb's bucket (CLIMB_BUCKET_MS): with the pod, container, restart count and limit it names the warning. */
  climb: number;
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
  if (last.workingSetBytes < settings.rearmFraction * limitBytes) {
    // A warned climb's bucket is kept only while a new climb could still be named into it (allowing a bucket of fit).
    const lastClimb = state.lastClimb !== undefined && Math.floor(last.at / CLIMB_BUCKET_MS) <= state.lastClimb + 1 ? state.lastClimb : undefined;
    return { state: { restarts, armed: true, nearSinceMs: undefined, ...(lastClimb !== undefined ? { lastClimb } : {}) } };
  }
  if (last.workingSetBytes < settings.nearFraction * limitBytes) return { state };
  state.nearSinceMs ??= last.at;
  if (!state.armed) return { state };

  // Times relative to the last sample: the line's intercept is then the fitted working set now, without the rounding
  // that epoch milliseconds times a slope would bring.
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of samples) {
    if (s.at < last.at - settings.fitSpanMs || (s.restarts ?? restarts) !== restarts) continue;
    xs.push(s.at - last.at);
    ys.push(s.workingSetBytes);
  }
  if (xs.length < settings.minSamples) return { state };
  const { slope, intercept } = theilSen(xs, ys); // bytes per ms; the fitted working set at the last sample
  const span = xs.at(-1)! - xs[0]!;
  if (!(slope > 0) || slope * span < settings.minRiseFraction * limitBytes) return { state };
  const room = Math.max(0, limitBytes - last.workingSetBytes);
  const etaMs = room / slope;
  if (etaMs > settings.horizonMs) return { state };
  // When the fitted line crossed the near level (later than now if the line is still under it), as a bucket; a climb
  // re-armed within this run's last warned bucket takes the next.
  const crossedAt = last.at + (settings.nearFraction * limitBytes - intercept) / slope;
  const natural = Math.floor(crossedAt / CLIMB_BUCKET_MS);
  const climb = state.lastClimb !== undefined && natural <= state.lastClimb ? state.lastClimb + 1 : natural;
  state.armed = false;
  state.lastClimb = climb;
  return {
    state,
    warning: {
      climbStartMs: state.nearSinceMs,
      climb,
      atMs: last.at,
      workingSetBytes: last.workingSetBytes,
      limitBytes,
      bytesPerMinute: slope * 60_000,
      reachesLimitAtMs: last.at + Math.round(etaMs),
      restarts,
    },
  };
}
