// Helpers for integration tests against the local control plane (sandbox/control-plane.ts). No kubelet, scheduler or
// controller-manager runs, so these helpers write what those components would: pod and node status through the
// `status` subresource, and Events.
import {
  CoreV1Api,
  type CoreV1Event,
  type KubeConfig,
  type V1Namespace,
  type V1Node,
  type V1Pod,
  type V1PodStatus,
} from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../sandbox/control-plane.ts';

export interface ControlPlaneHandle {
  /** The running control plane. Throws if read before the file's beforeAll has run (e.g. at collection time). */
  readonly controlPlane: ControlPlane;
  /** A KubeConfig of the admin (group system:masters). */
  readonly admin: KubeConfig;
}

/**
 * Starts one control plane for the calling test file (in beforeAll) and stops it after the file (in afterAll).
 * Call at the top level of the file or of a describe block. The first run on a machine builds the binaries, which takes
 * minutes; the integration project's hookTimeout allows for it.
 */
export function useControlPlane(options: { apiserverFlags?: string[] } = {}): ControlPlaneHandle {
  let cp: ControlPlane | undefined;
  let admin: KubeConfig | undefined;
  beforeAll(async () => {
    cp = await startControlPlane({ ...options, log: (line) => process.stderr.write(`[control plane] ${line}\n`) });
    admin = cp.adminKubeConfig();
  });
  afterAll(async () => {
    await cp?.stop();
  });
  const started = (): { cp: ControlPlane; admin: KubeConfig } => {
    if (!cp || !admin) {
      throw new Error('useControlPlane(): the control plane exists only inside tests and hooks, after beforeAll ran');
    }
    return { cp, admin };
  };
  return {
    get controlPlane() {
      return started().cp;
    },
    get admin() {
      return started().admin;
    },
  };
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<V1Namespace> {
  return kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}

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

/** Creates the node, then writes its status (capacity, allocatable, conditions) through nodes/status. */
export async function createNode(kc: KubeConfig, node: V1Node): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNode({ body: { ...node, status: undefined } });
  if (!node.status) return created;
  return core.replaceNodeStatus({ name: nameOf(created), body: { ...created, status: node.status } });
}

function nameOf(object: { metadata?: { name?: string } }): string {
  const name = object.metadata?.name;
  if (!name) throw new Error('the apiserver returned an object without metadata.name');
  return name;
}
