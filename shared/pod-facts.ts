// Plain facts read off a Pod and its Node: a container's memory limit and request, QoS class, the workload that owns
// the pod, and what the node can give. No judgement here; the verdict rules use these.
import type { Container, Node, Pod } from './k8s-objects.ts';
import { displayQuantity, tryParseQuantity } from './quantity.ts';

export interface MemoryResources {
  /** The limit that bounds the container: its own, else the pod-level one (see limitScope). */
  limitBytes: number | undefined;
  requestBytes: number | undefined;
  /** For display: as written when the short form would round it (see displayQuantity). */
  limitText?: string;
  requestText?: string;
  /**
   * `pod`: the container has no memory limit of its own and the pod-level limit bounds it. KEP-2837 ("Pod Level
   * Resource Specifications") sets such a container's cgroup memory.max to the pod's limit, and the pod's cgroup to the
   * same value for all containers together, so either may be what ran out.
   */
  limitScope?: 'container' | 'pod';
  /** The pod-level memory limit and request (spec.resources), when the pod sets them. */
  pod?: PodMemory;
}

export interface PodMemory {
  limitBytes?: number;
  limitText?: string;
  requestBytes?: number;
  requestText?: string;
}

/** The pod-level memory limit and request (spec.resources, KEP-2837), or undefined when the pod sets neither. */
export function podLevelMemory(pod: Pod): PodMemory | undefined {
  const limit = pod.spec.resources?.limits?.['memory'];
  const request = pod.spec.resources?.requests?.['memory'];
  const limitBytes = tryParseQuantity(limit);
  const requestBytes = tryParseQuantity(request);
  if (limitBytes === undefined && requestBytes === undefined) return undefined;
  return {
    ...(limitBytes !== undefined ? { limitBytes, limitText: displayQuantity(limit, limitBytes) } : {}),
    ...(requestBytes !== undefined ? { requestBytes, requestText: displayQuantity(request, requestBytes) } : {}),
  };
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
  const podMemory = podLevelMemory(pod);
  const byPod = limitBytes === undefined && podMemory?.limitBytes !== undefined;
  return {
    limitBytes: byPod ? podMemory.limitBytes : limitBytes,
    requestBytes,
    ...(byPod ? { limitText: podMemory.limitText } : limitBytes !== undefined ? { limitText: displayQuantity(limit, limitBytes) } : {}),
    ...(requestBytes !== undefined ? { requestText: displayQuantity(request, requestBytes) } : {}),
    ...(byPod ? { limitScope: 'pod' as const } : limitBytes !== undefined ? { limitScope: 'container' as const } : {}),
    ...(podMemory ? { pod: podMemory } : {}),
  };
}

type ResourceList = Record<string, string | number> | undefined;
const QOS_RESOURCES = ['cpu', 'memory'];

/**
 * The QoS class the API server recorded (status.qosClass wins: it is fixed at creation), else the API server's rule
 * (pkg/apis/core/helper/qos ComputePodQOS) applied to the spec: only cpu and memory above zero count; when the pod sets
 * cpu or memory at pod level (KEP-2837, "QoS Changes") its spec.resources alone decides, else all app and init
 * containers do. Guaranteed needs cpu and memory limits everywhere that decides, and every request equal to its limit.
 * A spec written by hand lacks the API server's defaults, so they are applied first: a missing request is the limit
 * (for the pod: the containers' requests when any set one, else the pod's limit; KEP-2837 "Pod-level Defaulting").
 */
export function qosClass(pod: Pod): string {
  if (pod.status.qosClass) return pod.status.qosClass;
  const bytes = (list: ResourceList, k: string) => {
    const v = tryParseQuantity(list?.[k]);
    return v !== undefined && v > 0 ? v : undefined;
  };
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  const podLevel = pod.spec.resources;
  const byPod = QOS_RESOURCES.some((k) => bytes(podLevel?.requests, k) !== undefined || bytes(podLevel?.limits, k) !== undefined);
  const sets = byPod
    ? [{ requests: podLevel?.requests, limits: podLevel?.limits, fallback: (k: string) => containers.reduce<number | undefined>((sum, c) => (bytes(c.resources?.requests, k) !== undefined ? (sum ?? 0) + bytes(c.resources?.requests, k)! : sum), undefined) }]
    : containers.map((c) => ({ requests: c.resources?.requests, limits: c.resources?.limits, fallback: () => undefined }));
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const set of sets) {
    for (const k of QOS_RESOURCES) {
      const limit = bytes(set.limits, k);
      const request = bytes(set.requests, k) ?? (limit !== undefined ? (set.fallback(k) ?? limit) : undefined);
      if (request !== undefined) requests.set(k, (requests.get(k) ?? 0) + request);
      if (limit !== undefined) limits.set(k, (limits.get(k) ?? 0) + limit);
      else guaranteed = false;
    }
  }
  if (!requests.size && !limits.size) return 'BestEffort';
  if (guaranteed && requests.size === limits.size && [...requests].every(([k, v]) => limits.get(k) === v)) return 'Guaranteed';
  return 'Burstable';
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

/**
 * The sum of memory requests of running pods, skipping finished ones (they hold no memory on the node). A pod-level
 * request is what the scheduler counts for the whole pod (KEP-2837, "Scheduler Changes").
 */
export function podMemoryRequests(pod: Pod): number {
  if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return 0;
  // Run for every pod on the node: the request alone, without the display texts podLevelMemory also makes.
  return tryParseQuantity(pod.spec.resources?.requests?.['memory']) ?? containerMemoryRequests(pod);
}

/**
 * The memory requests of the pod's app containers but `exceptContainer`, whatever the pod's phase (a missing request is
 * the limit, as the API server defaults it).
 */
export function containerMemoryRequests(pod: Pod, exceptContainer?: string): number {
  let sum = 0;
  for (const c of pod.spec.containers) if (c.name !== exceptContainer) sum += tryParseQuantity(c.resources?.requests?.['memory'] ?? c.resources?.limits?.['memory']) ?? 0;
  return sum;
}

/**
 * The memory request the kubelet scores a Burstable container's oom_score_adj by: its own request, plus an equal share
 * of the pod-level request that its containers' requests leave unclaimed (KEP-2837, "OOM Score Adjustment").
 */
export function oomScoreRequestBytes(pod: Pod, own: number | undefined): number | undefined {
  const podRequest = podLevelMemory(pod)?.requestBytes;
  if (podRequest === undefined) return own;
  const claimed = pod.spec.containers.reduce((sum, c) => sum + (tryParseQuantity(c.resources?.requests?.['memory']) ?? 0), 0);
  return (own ?? 0) + Math.max(0, podRequest - claimed) / Math.max(1, pod.spec.containers.length);
}
