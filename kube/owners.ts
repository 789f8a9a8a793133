// The pod's top-level owner (Deployment, StatefulSet, DaemonSet, CronJob) through ReplicaSet and Job owners, with
// whatever lookup the caller has: objects from files, or the API server.
import type { Pod } from '../shared/k8s-objects.ts';
import { workloadFromOwners, type Workload } from '../shared/pod-facts.ts';

export interface OwnerObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
}

export type OwnerLookup<R> = (kind: string, namespace: string, name: string) => R;

function controllerOf(o: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] } | undefined) {
  return o?.ownerReferences?.find((r) => r.controller) ?? o?.ownerReferences?.[0];
}

/** Follows owner references two levels up (Pod → ReplicaSet → Deployment, Pod → Job → CronJob). */
export function resolveWorkload(pod: Pod, lookup: OwnerLookup<OwnerObject | undefined>): Workload | undefined {
  const first = controllerOf(pod.metadata);
  if (!first) return undefined;
  const ns = pod.metadata.namespace ?? 'default';
  const parent = lookup(first.kind, ns, first.name);
  const grand = controllerOf(parent?.metadata);
  if (grand) return { kind: grand.kind, name: grand.name };
  return parent ? { kind: first.kind, name: first.name } : workloadFromOwners(pod);
}

export async function resolveWorkloadAsync(pod: Pod, lookup: OwnerLookup<Promise<OwnerObject | undefined>>): Promise<Workload | undefined> {
  const first = controllerOf(pod.metadata);
  if (!first) return undefined;
  const parent = await lookup(first.kind, pod.metadata.namespace ?? 'default', first.name);
  return resolveWorkload(pod, () => parent);
}
