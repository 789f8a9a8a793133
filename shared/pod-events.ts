// What the kubelet said about the pod: probe kills, stops, preemption, eviction. Message texts are the kubelet's own
// (pkg/kubelet/prober, pkg/kubelet/kuberuntime): "Container app failed liveness probe, will be restarted",
// "Stopping container app", "Preempted by pod ...".
import { eventTime, type KubeEvent, type Pod } from './k8s-objects.ts';

export function isPodEvent(event: KubeEvent, pod: Pod): boolean {
  const o = event.involvedObject;
  if (o.kind !== 'Pod') return false;
  if (o.uid && pod.metadata.uid) return o.uid === pod.metadata.uid;
  return o.name === pod.metadata.name && (!o.namespace || !pod.metadata.namespace || o.namespace === pod.metadata.namespace);
}

/** The container an event is about: `spec.containers{app}` in fieldPath, else named in the message. */
export function eventNamesContainer(event: KubeEvent, container: string): boolean {
  const fromPath = /\{([^}]+)\}/.exec(event.involvedObject.fieldPath ?? '')?.[1];
  if (fromPath) return fromPath === container;
  return new RegExp(`[Cc]ontainer ${escape(container)}\\b`).test(event.message ?? '');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Kubelet kills explain a SIGKILL within this long after the event (grace periods default to 30 s). */
const KILL_WINDOW_MS = 5 * 60_000;

export function explainsKillAt(event: KubeEvent, finishedAt: string | undefined): boolean {
  const last = Date.parse(eventTime(event) ?? '');
  const first = Date.parse(event.firstTimestamp ?? '') || last;
  const at = Date.parse(finishedAt ?? '');
  if (Number.isNaN(at) || Number.isNaN(last)) return true; // no times to compare: the event is all we have
  return first <= at + 60_000 && last >= at - KILL_WINDOW_MS;
}

export type KillExplanation =
  | { kind: 'liveness-probe'; event: KubeEvent; probe: 'liveness' | 'startup'; failure: KubeEvent | undefined }
  | { kind: 'external-kill'; event: KubeEvent | undefined; how: string };

/** A kubelet or API action that explains a SIGKILL of this container without memory, if there is one. */
export function killExplanation(events: KubeEvent[], pod: Pod, container: string, finishedAt: string | undefined): KillExplanation | undefined {
  const mine = events.filter((e) => isPodEvent(e, pod) && explainsKillAt(e, finishedAt));
  const probeKill = mine.find(
    (e) => e.reason === 'Killing' && /failed (liveness|startup) probe/.test(e.message ?? '') && eventNamesContainer(e, container),
  );
  if (probeKill) {
    const probe = /failed startup probe/.test(probeKill.message ?? '') ? 'startup' : 'liveness';
    const failure = mine.find(
      (e) => e.reason === 'Unhealthy' && new RegExp(`^${probe} probe failed`, 'i').test(e.message ?? '') && eventNamesContainer(e, container),
    ) ?? mine.find((e) => e.reason === 'Unhealthy' && new RegExp(`^${probe} probe failed`, 'i').test(e.message ?? ''));
    return { kind: 'liveness-probe', event: probeKill, probe, failure };
  }
  const preempted = mine.find((e) => e.reason === 'Preempting' || e.reason === 'Preempted' || /^Preempted by/.test(e.message ?? ''));
  if (preempted) return { kind: 'external-kill', event: preempted, how: 'preempted by a higher-priority pod' };
  const condition = pod.status.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  if (condition && condition.reason !== 'TerminationByKubelet') {
    const how: Record<string, string> = {
      PreemptionByScheduler: 'preempted by a higher-priority pod',
      DeletionByTaintManager: 'deleted by the taint manager (a NoExecute taint on the node)',
      EvictionByEvictionAPI: 'evicted through the Eviction API (a drain or an autoscaler)',
      DeletionByPodGC: 'deleted by pod garbage collection (its node is gone)',
    };
    return { kind: 'external-kill', event: undefined, how: how[condition.reason ?? ''] ?? `stopped (${condition.reason})` };
  }
  const stopping = mine.find((e) => e.reason === 'Killing' && /^Stopping container/.test(e.message ?? '') && eventNamesContainer(e, container));
  if (stopping || pod.metadata.deletionTimestamp) {
    return { kind: 'external-kill', event: stopping, how: 'stopped on deletion and SIGKILLed when its grace period ran out' };
  }
  return undefined;
}

/** The pod's Evicted event, if one is in the list. */
export function evictedEvent(events: KubeEvent[], pod: Pod): KubeEvent | undefined {
  return events.find((e) => isPodEvent(e, pod) && e.reason === 'Evicted');
}
