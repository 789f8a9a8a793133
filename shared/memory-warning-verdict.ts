// The verdict of a warning before the kill (issue 12 item 5; docs/domain.md §14): nothing has died, so the diagnosis of a
// death (shared/diagnose.ts) does not apply; but the warning is recorded as an incident like an alert, and its Raise
// limit button goes through the same server-side checks (bot/plan-patch.ts reads the stored verdict's cause,
// container and recommendation). So a warning is a `limit` verdict whose recommendation is sized for the limit it is
// about to reach, as the kill there would be (docs/domain.md §14): a size from the peak seen so far would be reached
// minutes later, and the warning and the kill that may follow offer the same size. From the curve when there is one
// (recommendFromCurve, reachesLimitInMinutes), which says what a leak's higher limit buys; with too few samples (a
// container warned within minutes of its start), §6's rule at that limit, so the warning still carries its Raise limit.
import type { Envelope } from './envelope.ts';
import { findContainerSpec, workloadFromOwners } from './pod-facts.ts';
import { classifyCurve } from './memory-curve.ts';
import { recommendFromCurve } from './curve-recommend.ts';
import { recommendLimit, type Sizing } from './recommend-limit.ts';
import { decodeSeries } from './memory-series.ts';
import { displayQuantity, formatBytes, MiB } from './quantity.ts';
import type { Verdict } from './verdict.ts';

export type WarningEnvelope = Extract<Envelope, { kind: 'memory-warning' }>;

/** "+12 MiB/min", or "+0.8 MiB/min" below one. */
export function rateText(bytesPerMinute: number): string {
  const mib = bytesPerMinute / MiB;
  return `+${mib >= 10 ? Math.round(mib) : Number(mib.toFixed(1))} MiB/min`;
}

/** Whole minutes from the warning to when the fitted line reaches the limit, at least 1. */
export function minutesToLimit(w: WarningEnvelope): number {
  return Math.max(1, Math.round((Date.parse(w.warning.reachesLimitAt) - Date.parse(w.occurredAt)) / 60_000));
}

/**
 * `workload` is the pod's owner as the analyzer resolved it (kube/owners.ts), null when it could not, or undefined to
 * take the pod's word for it.
 */
export function warningVerdict(w: WarningEnvelope, workload?: { kind: string; name: string } | null): Verdict {
  const { pod, container, warning } = w;
  const series = decodeSeries(w.memory?.series);
  const curve = classifyCurve(series);
  const spec = findContainerSpec(pod, container);
  const limitWritten = spec?.resources?.limits?.['memory'] ?? pod.spec.resources?.limits?.['memory'];
  const requestWritten = spec?.resources?.requests?.['memory'];
  const limit = displayQuantity(limitWritten, warning.limitBytes);
  const minutes = minutesToLimit(w);
  // The limit is the warning's own: the one the slope was fitted against, whatever the series carries.
  const sizing = recommendFromCurve({ ...series, limitBytes: warning.limitBytes }, curve, { reachesLimitInMinutes: minutes }) ?? beforeItsKill(w, series.requestBytes, limit, curve.evidence);
  const owner = workload === undefined ? workloadFromOwners(pod) : (workload ?? undefined);
  const who = `${owner?.name ?? pod.metadata.name} › ${container}`;
  const rate = rateText(warning.bytesPerMinute);
  const usage = formatBytes(warning.workingSetBytes);
  const share = Math.round((100 * warning.workingSetBytes) / warning.limitBytes);
  const reaches = `${new Date(warning.reachesLimitAt).toISOString().slice(11, 16)} UTC`;
  const fitted = series.samples.filter((s) => s.at >= Date.parse(w.occurredAt) - 5 * 60_000);
  return {
    version: 1,
    cause: 'limit',
    kind: 'container-limit',
    confidence: 'medium',
    pod: { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
    container,
    containerType: pod.spec.initContainers?.some((c) => c.name === container) ? 'init' : 'container',
    ...(owner ? { workload: owner } : {}),
    ...(w.node ? { node: w.node } : {}),
    memory: {
      limit,
      ...(requestWritten !== undefined ? { request: String(requestWritten) } : {}),
      usage,
      usageSource: 'metrics.k8s.io working set',
    },
    headline: `${who} will reach its ${limit} limit in ~${minutes} min (${rate})`.slice(0, 150),
    summary: `Not killed yet: its working set is ${usage}, ${share} % of its ${limit} limit, and still rising ${rate}; at this rate the kernel OOM-kills it at about ${reaches}.`,
    action: `Raise the limit before it is reached, or find what keeps growing; a higher limit only buys time if it is a leak.`,
    evidence: [
      `working set ${usage} at ${new Date(w.occurredAt).toISOString().slice(11, 16)} UTC: ${share} % of the ${limit} limit`,
      `rising ${rate} over the last ${Math.max(1, Math.round((fitted.length ? Date.parse(w.occurredAt) - fitted[0]!.at : 0) / 60_000))} min (${fitted.length} samples, Theil–Sen): the limit at about ${reaches}`,
    ],
    missing: [],
    recommendation: { memoryLimit: sizing.quantity, memoryLimitBytes: sizing.bytes, capped: sizing.capped, rationale: sizing.rationale },
    ...(w.memory?.series ? { trajectory: { series: w.memory.series, curve } } : {}),
  };
}

/**
 * Too few samples to size the limit from the curve: what §6 gives a kill at the limit the container is heading for
 * (docs/domain.md §6, §14), said as what it is — no death yet, and no curve behind it.
 */
function beforeItsKill(w: WarningEnvelope, requestBytes: number | undefined, limit: string, tooFew: string): Sizing {
  const { limitBytes, workingSetBytes } = w.warning;
  const s = recommendLimit({ currentLimitBytes: limitBytes, requestBytes, peakBytes: workingSetBytes, capBytes: undefined });
  const growth = `+${Math.round((s.bytes / limitBytes - 1) * 100)} %`;
  return {
    ...s,
    rationale: `${growth} over the ${limit} limit it is about to reach, as after a kill there (VPA adds 20 % or 100Mi after an OOM, krr 25 %), since the curve cannot size it yet (${tooFew}); the node was not seen, so check it fits`,
  };
}
