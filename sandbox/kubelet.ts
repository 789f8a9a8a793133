// Writing what a kubelet writes, for a control plane with no kubelet (sandbox/control-plane.ts): pod and node status
// through their `status` subresources, and Events (core/v1, as the kubelet's event recorder makes them). Used by the
// demo (sandbox/demo.ts) and by the integration tests (test/integration/harness.ts).
import { CoreV1Api, type CoreV1Event, type KubeConfig, type V1Node, type V1NodeStatus, type V1Pod, type V1PodStatus } from '@kubernetes/client-node';

/**
 * Creates the pod, then writes `status` through pods/status as the kubelet does. The status is merged over the one the
 * apiserver set on create (phase Pending, qosClass), since a kubelet keeps qosClass too. Returns the pod as stored.
 */
export async function createPodAsKubelet(kc: KubeConfig, pod: V1Pod, status: V1PodStatus): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = pod.metadata?.namespace ?? 'default';
  const created = await core.createNamespacedPod({ namespace, body: pod });
  return core.replaceNamespacedPodStatus({
    name: nameOf(created),
    namespace,
    body: { ...created, status: { ...created.status, ...status } },
  });
}

/** Rewrites a pod's status through pods/status from what is stored now, as the kubelet's status manager does. */
export async function updatePodStatus(kc: KubeConfig, namespace: string, name: string, change: (pod: V1Pod) => V1PodStatus): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const current = await core.readNamespacedPodStatus({ name, namespace });
  return core.replaceNamespacedPodStatus({ name, namespace, body: { ...current, status: change(current) } });
}

/**
 * Creates an Event in its involved object's namespace (core/v1 validation requires they match). Without a name it gets
 * `<involved object>.<random>`, the kubelet's shape of event names.
 */
export async function createEvent(kc: KubeConfig, event: CoreV1Event): Promise<CoreV1Event> {
  const namespace = event.metadata?.namespace ?? event.involvedObject.namespace ?? 'default';
  const metadata = { ...event.metadata, namespace };
  if (!metadata.name && !metadata.generateName) metadata.generateName = `${event.involvedObject.name ?? 'event'}.`;
  return kc.makeApiClient(CoreV1Api).createNamespacedEvent({ namespace, body: { ...event, metadata } });
}

/**
 * The same event once more: the kubelet's event correlator does not create a second Event for a repeat, it raises
 * `count` and moves `lastTimestamp` on the one it made (client-go tools/record, EventCorrelator).
 */
export async function repeatEvent(kc: KubeConfig, event: CoreV1Event, at: Date): Promise<CoreV1Event> {
  const namespace = event.metadata.namespace ?? 'default';
  return kc.makeApiClient(CoreV1Api).replaceNamespacedEvent({
    name: nameOf(event),
    namespace,
    body: { ...event, count: (event.count ?? 1) + 1, lastTimestamp: at },
  });
}

/** Creates the node, then writes its status (capacity, allocatable, conditions) through nodes/status. */
export async function createNode(kc: KubeConfig, node: V1Node): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNode({ body: { ...node, status: undefined } });
  if (!node.status) return created;
  return core.replaceNodeStatus({ name: nameOf(created), body: { ...created, status: node.status } });
}

/** Rewrites a node's status through nodes/status from what is stored now (a kubelet's node status update). */
export async function updateNodeStatus(kc: KubeConfig, name: string, change: (node: V1Node) => V1NodeStatus): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  const current = await core.readNodeStatus({ name });
  return core.replaceNodeStatus({ name, body: { ...current, status: change(current) } });
}

function nameOf(object: { metadata?: { name?: string } }): string {
  const name = object.metadata?.name;
  if (!name) throw new Error('the apiserver returned an object without metadata.name');
  return name;
}
