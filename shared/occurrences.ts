// What the forwarder publishes: occurrences recognised in a pod or an event, each with its stable id. Uses the
// engine's own recognisers (memoryTerminations), so the forwarder and the diagnosis agree on what is memory-related.
import type { MemoryWarningFacts } from './envelope.ts';
import type { KubeEvent, Pod } from './k8s-objects.ts';
import { eventTime } from './event-time.ts';
import { parseKernelOomLine, parseSystemOom } from './kernel-oom.ts';
import { evictionId, nodeEventId, terminationId } from './occurrence-id.ts';
import { untrustedBecause } from './node-signals.ts';
import { containerStatuses, memoryTerminations, type Termination } from './terminations.ts';

interface OccurrenceBase {
  occurrenceId: string;
  occurredAt: string;
  node: string | undefined;
}

/** What the forwarder saw, by kind: each carries exactly what its envelope needs (shared/envelope.ts). */
export type Occurrence =
  | (OccurrenceBase & { kind: 'container-termination'; podUid: string; container: string; terminationIndex: number })
  | (OccurrenceBase & { kind: 'pod-eviction'; podUid: string })
  | (OccurrenceBase & { kind: 'node-oom'; event: KubeEvent })
  /** Before the kill: the forwarder's sampler saw the container climb into its limit (forwarder/memory-warning.ts). */
  | (OccurrenceBase & { kind: 'memory-warning'; podUid: string; container: string; warning: MemoryWarningFacts });

/** The pod an occurrence is about, if it is about one. */
export function podUidOf(o: Occurrence): string | undefined {
  return o.kind === 'node-oom' ? undefined : o.podUid;
}

/**
 * Which run of the container a termination ended, stable through the kubelet's three views of it (its
 * convertToAPIContainerStatuses): down, `state.terminated` with restartCount N; in CrashLoopBackOff, `state.waiting`
 * and `lastState.terminated` with restartCount still N; restarted, `state.running` (or terminated again) and
 * `lastState.terminated` with N+1.
 */
export function terminationIndex(t: Termination, pod: Pod): number {
  if (t.state === 'current') return t.restartCount;
  const status = containerStatuses(pod).find((s) => s.status.name === t.container && s.type === t.containerType)?.status;
  const restarted = !!status?.state?.['running'] || !!status?.state?.terminated;
  return restarted ? Math.max(0, t.restartCount - 1) : t.restartCount;
}

/**
 * Every memory-related termination and the eviction, if any, the pod shows right now; older runs first, so a
 * consumer that remembers the highest run it sent does not skip an older one listed beside a newer.
 */
export function podOccurrences(cluster: string, pod: Pod, observedAt: string = new Date().toISOString()): Occurrence[] {
  const uid = pod.metadata.uid;
  if (!uid) return [];
  const node = pod.spec.nodeName;
  const terminations: Extract<Occurrence, { kind: 'container-termination' }>[] = [];
  for (const t of memoryTerminations(pod)) {
    const finishedAt = t.terminated.finishedAt;
    if (!finishedAt) continue; // a termination without a time cannot be told from its repeats
    const index = terminationIndex(t, pod);
    terminations.push({
      kind: 'container-termination',
      occurrenceId: terminationId(cluster, uid, t.container, index, finishedAt),
      occurredAt: finishedAt,
      node,
      podUid: uid,
      container: t.container,
      terminationIndex: index,
    });
  }
  const found: Occurrence[] = terminations.sort((a, b) => a.terminationIndex - b.terminationIndex);
  if (pod.status.reason === 'Evicted') {
    const condition = pod.status.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
    found.push({
      kind: 'pod-eviction',
      occurrenceId: evictionId(cluster, uid),
      // Clusters before 1.26 set no DisruptionTarget: without a time of its own, the eviction is dated when it was seen
      // (a resend after a restart carries the same id, so downstream absorbs it).
      occurredAt: condition?.lastTransitionTime ?? latestFinish(pod) ?? observedAt,
      node,
      podUid: uid,
    });
  }
  return found;
}

function latestFinish(pod: Pod): string | undefined {
  return memoryTerminations(pod)
    .map((t) => t.terminated.finishedAt ?? '')
    .sort()
    .at(-1) || undefined;
}

/** Node OOM events: the kubelet's SystemOOM and node-problem-detector's OOMKilling (docs/domain.md §2). */
export const NODE_OOM_REASONS = ['SystemOOM', 'OOMKilling'] as const;

/** Events kept as context for occurrences: what the diagnosis reads besides the pod (probe kills, evictions). */
export const CONTEXT_REASONS = ['Evicted', 'Killing', 'Unhealthy', 'Preempting', 'EvictionThresholdMet'] as const;

/**
 * A node OOM the kubelet or node-problem-detector reported: a Node event written anywhere else, or under another name,
 * is not one (anyone who may create Events in a namespace can write a Node-kind event there; node-signals.ts).
 */
export function nodeEventOccurrence(cluster: string, event: KubeEvent): Occurrence | undefined {
  if (event.involvedObject.kind !== 'Node' || untrustedBecause(event, { name: event.involvedObject.name })) return undefined;
  const isOom = (event.reason === 'SystemOOM' && parseSystemOom(event.message)) || (event.reason === 'OOMKilling' && parseKernelOomLine(event.message));
  const uid = event.metadata.uid;
  const at = eventTime(event);
  if (!isOom || !uid || !at) return undefined;
  return {
    kind: 'node-oom',
    occurrenceId: nodeEventId(cluster, uid, event.series?.count ?? event.count ?? 1),
    occurredAt: at,
    node: event.involvedObject.name,
    event,
  };
}
