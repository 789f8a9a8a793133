// The current kubeconfig context, for commands that talk to a cluster from outside it. @kubernetes/client-node is
// imported here, not at the top of a command: its root pulls in the whole generated API (~0.7 s and ~60 MiB), which
// offline use and the in-cluster forwarder never need.
import type { KubeConfig } from '@kubernetes/client-node';
import { CliError } from './errors.ts';

/** Loads KUBECONFIG / ~/.kube/config; `noCluster` says what to do when it names no cluster. */
export async function loadCurrentKubeConfig(noCluster: string): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw new CliError('NO_KUBECONFIG', `cannot load the kubeconfig: ${(error as Error).message}`);
  }
  if (!kc.getCurrentCluster()) throw new CliError('NO_KUBECONFIG', noCluster);
  return kc;
}
