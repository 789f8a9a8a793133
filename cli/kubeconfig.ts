// The current kubeconfig context, for commands that talk to a cluster from outside it. @kubernetes/client-node is
// imported here, not at the top of a command: its root pulls in the whole generated API (~0.7 s and ~60 MiB), which
// offline use and the in-cluster forwarder never need.
import type { KubeConfig } from '@kubernetes/client-node';
import { OombotError } from '#shared/errors.ts';

/**
 * Loads KUBECONFIG / ~/.kube/config; `noCluster` says what to do when it names no cluster. Without one the cluster cannot
 * be asked: `unreachable` (exit 4).
 */
export async function loadCurrentKubeConfig(noCluster: string): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw new OombotError('unreachable', `cannot load the kubeconfig: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!kc.getCurrentCluster()) throw new OombotError('unreachable', noCluster);
  return kc;
}
