// Which of a pod's occurrences are one death: its containers killed in one node OOM, or all at once by one eviction.
// The forwarder sends one occurrence per container (shared/occurrences.ts), each with its own id, so that each is
// recorded once; analyze posts them as one alert (bot/pod-deaths.ts). This is the rule for "together", on what the
// pod itself shows, so that the forwarder's ids and analyze agree on it.
import type { Pod } from './k8s-objects.ts';
import { podOccurrences, type Occurrence } from './occurrences.ts';

/**
 * Containers of one pod whose runs ended within this long of each other died together. The kernel kills a node OOM's
 * victims within milliseconds and the kubelet reports what its relist (every second) found in one status update, so
 * a few seconds covers one event and no pod's separate deaths: a container restarts after 10 s of back-off at least.
 */
export const DIED_TOGETHER_MS = 5_000;

export type PodOccurrence = Exclude<Occurrence, { kind: 'node-oom' | 'memory-warning' }>;

/**
 * The occurrences of `pod` that died together with `self` (not `self` itself), oldest first: each termination that
 * ended within DIED_TOGETHER_MS of it, and for an evicted pod the eviction and every termination from the eviction on
 * (the kubelet kills an evicted pod's containers after the grace period it gives them, which may be longer).
 */
export function diedTogether(cluster: string, pod: Pod, self: { occurrenceId: string; occurredAt: string }): PodOccurrence[] {
  const all = podOccurrences(cluster, pod, self.occurredAt).filter((o): o is PodOccurrence => o.kind === 'container-termination' || o.kind === 'pod-eviction');
  const mine = all.find((o) => o.occurrenceId === self.occurrenceId) ?? { kind: 'container-termination' as const, occurredAt: self.occurredAt };
  const eviction = all.find((o) => o.kind === 'pod-eviction');
  const ms = (o: { occurredAt: string }) => Date.parse(o.occurredAt);
  // One eviction: what ended from the eviction on is its doing, whichever of its occurrences this is.
  const byEviction = (o: PodOccurrence) => eviction !== undefined && ms(o) >= ms(eviction) - DIED_TOGETHER_MS && ms(mine) >= ms(eviction) - DIED_TOGETHER_MS;
  const byTime = (o: PodOccurrence) => Math.abs(ms(o) - ms(mine)) <= DIED_TOGETHER_MS;
  return all.filter((o) => o.occurrenceId !== self.occurrenceId && (byTime(o) || byEviction(o))).sort((a, b) => ms(a) - ms(b));
}
