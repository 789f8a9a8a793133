// Helpers for integration tests against the local control plane (sandbox/control-plane.ts). No kubelet, scheduler or
// controller-manager runs, so tests write what those components would: pod and node status through the `status`
// subresource, and Events (sandbox/kubelet.ts, re-exported here).
import { CoreV1Api, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../sandbox/control-plane.ts';

// The kubelet-like writes live with the sandbox, which the demo shares; tests keep importing them from here.
export { createEvent, createNode, createPodAsKubelet, repeatEvent, updateNodeStatus, updatePodStatus } from '../../sandbox/kubelet.ts';

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
