// What the forwarder publishes: occurrences recognised in a pod or an event, each with its stable id. Uses the
// engine's own recognisers (memoryTerminations), so the forwarder and the diagnosis agree on what is memory-related.
import type { KubeEvent, Pod } from './k8s-objects.ts';
import { eventTime } from './k8s-objects.ts';
import { parseKernelOomLine, parseSystemOom } from './kernel-oom.ts';
import { evictionId, nodeEventId, terminationId } from './occurrence-id.ts';
import { memoryTerminations } from './terminations.ts';
import type { OccurrenceKind } from './envelope.ts';

export interface Occurrence {
  kind: OccurrenceKind;
  occurrenceId: string;
  occurredAt: string;
  node: string | undefined;
  podUid?: string;
  container?: string;
  terminationIndex?: number;
  event?: KubeEvent;
}

/** Every memory-related termination and the eviction, if any, the pod shows right now. */
export function podOccurrences(cluster: string, pod: Pod): Occurrence[] {
  const uid = pod.metadata.uid;
  if (!uid) return [];
  const node = pod.spec.nodeName;
  const found: Occurrence[] = [];
  for (const t of memoryTerminations(pod)) {
    const finishedAt = t.terminated.finishedAt;
    if (!finishedAt) continue; // a termination without a time cannot be told from its repeats
    // The same termination shows in state.terminated with restartCount N and in lastState.terminated with N+1.
    const terminationIndex = t.state === 'current' ? t.restartCount : Math.max(0, t.restartCount - 1);
    found.push({
      kind: 'container-termination',
      occurrenceId: terminationId(cluster, uid, t.container, terminationIndex, finishedAt),
      occurredAt: finishedAt,
      node,
      podUid: uid,
      container: t.container,
      terminationIndex,
    });
  }
  if (pod.status.reason === 'Evicted') {
    const condition = pod.status.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
    found.push({
      kind: 'pod-eviction',
      occurrenceId: evictionId(cluster, uid),
      occurredAt: condition?.lastTransitionTime ?? latestFinish(pod) ?? pod.metadata.creationTimestamp ?? new Date(0).toISOString(),
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

/** Node OOM events: the kubelet's SystemOOM and node-problem-detector's OOMKilling (DOMAIN.md §2). */
export const NODE_OOM_REASONS = ['SystemOOM', 'OOMKilling'] as const;

/** Events kept as context for occurrences: what the diagnosis reads besides the pod (probe kills, evictions). */
export const CONTEXT_REASONS = ['Evicted', 'Killing', 'Unhealthy', 'Preempting', 'EvictionThresholdMet'] as const;

export function nodeEventOccurrence(cluster: string, event: KubeEvent): Occurrence | undefined {
  if (event.involvedObject.kind !== 'Node') return undefined;
  const isOom = event.reason === 'SystemOOM' || parseSystemOom(event.message) || (event.reason === 'OOMKilling' && parseKernelOomLine(event.message));
  const uid = event.metadata.uid;
  const at = eventTime(event);
  if (!isOom || !uid || !at) return undefined;
  return {
    kind: 'node-oom',
    occurrenceId: nodeEventId(cluster, uid, event.series?.count ?? event.count ?? 1),
    occurredAt: at,
    node: event.involvedObject.name ?? event.source?.host,
    event,
  };
}
