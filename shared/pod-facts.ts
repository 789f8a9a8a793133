// Plain facts read off a Pod and its Node: a container's memory limit and request, QoS class, the workload that owns
// the pod, and what the node can give. No judgement here; the verdict rules use these.
import type { Container, Node, Pod } from './k8s-objects.ts';
import { displayQuantity, tryParseQuantity } from './quantity.ts';

export interface MemoryResources {
  limitBytes: number | undefined;
  requestBytes: number | undefined;
  /** For display: as written when the short form would round it (see displayQuantity). */
  limitText?: string;
  requestText?: string;
}

export function findContainerSpec(pod: Pod, name: string): Container | undefined {
  const s = pod.spec;
  return [...s.containers, ...(s.initContainers ?? []), ...(s.ephemeralContainers ?? [])].find((c) => c.name === name);
}

/** The container's memory limit and request; the status's `resources` (what an in-place resize applied) wins. */
export function memoryResources(pod: Pod, container: string): MemoryResources {
  const applied = [...(pod.status.containerStatuses ?? []), ...(pod.status.initContainerStatuses ?? [])].find(
    (s) => s.name === container,
  )?.resources;
  const spec = findContainerSpec(pod, container)?.resources;
  const limit = applied?.limits?.['memory'] ?? spec?.limits?.['memory'];
  const request = applied?.requests?.['memory'] ?? spec?.requests?.['memory'] ?? limit;
  const limitBytes = tryParseQuantity(limit);
  // The API server defaults a missing request to the limit, so a spec read from the server always has both.
  const requestBytes = tryParseQuantity(request) ?? limitBytes;
  return {
    limitBytes,
    requestBytes,
    ...(limitBytes !== undefined ? { limitText: displayQuantity(limit, limitBytes) } : {}),
    ...(requestBytes !== undefined ? { requestText: displayQuantity(request, requestBytes) } : {}),
  };
}

/** The QoS class the API server recorded, or the same rule applied to the spec (memory and cpu, all containers). */
export function qosClass(pod: Pod): string {
  if (pod.status.qosClass) return pod.status.qosClass;
  const containers = pod.spec.containers;
  const resources = containers.map((c) => c.resources ?? {});
  if (resources.every((r) => !Object.keys(r.limits ?? {}).length && !Object.keys(r.requests ?? {}).length)) return 'BestEffort';
  const guaranteed = resources.every((r) =>
    ['memory', 'cpu'].every((k) => r.limits?.[k] !== undefined && (r.requests?.[k] ?? r.limits[k]) === r.limits[k]),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export interface Workload {
  kind: string;
  name: string;
}

/**
 * The workload the pod belongs to, from its controller owner reference alone. A ReplicaSet carrying the
 * `pod-template-hash` label belongs to a Deployment named without that suffix (how the Deployment controller names
 * ReplicaSets). Callers that can read the owner chain pass the real top-level owner instead.
 */
export function workloadFromOwners(pod: Pod): Workload | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return undefined;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  }
  return { kind: owner.kind, name: owner.name };
}

export function nodeMemory(node: Node | undefined): { capacityBytes?: number; allocatableBytes?: number } {
  return {
    capacityBytes: tryParseQuantity(node?.status.capacity?.['memory']),
    allocatableBytes: tryParseQuantity(node?.status.allocatable?.['memory']),
  };
}

export function nodeCondition(node: Node | undefined, type: string) {
  return node?.status.conditions?.find((c) => c.type === type);
}

/** The sum of memory requests of running pods, skipping finished ones (they hold no memory on the node). */
export function podMemoryRequests(pod: Pod, exceptContainer?: string): number {
  if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return 0;
  return pod.spec.containers
    .filter((c) => c.name !== exceptContainer)
    .reduce((sum, c) => sum + (tryParseQuantity(c.resources?.requests?.['memory'] ?? c.resources?.limits?.['memory']) ?? 0), 0);
}
