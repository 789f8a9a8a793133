// A Deployment and the ReplicaSet its controller would make, written to a real API server (no controller-manager runs
// in the tests), so a pod from the factories can name that ReplicaSet with its real uid and be attributed to the
// Deployment as oombot checks it (kube/owners.ts).
import { AppsV1Api, type KubeConfig, type V1Container } from '@kubernetes/client-node';
import { TEMPLATE_HASH } from './k8s-factories.ts';

export async function createDeploymentChain(
  kc: KubeConfig,
  namespace: string,
  name: string,
  o: { containers?: V1Container[]; annotations?: Record<string, string> } = {},
): Promise<{ rsUid: string; deploymentUid: string }> {
  const containers = o.containers ?? [{ name: 'api', image: 'api:1' }];
  const apps = kc.makeApiClient(AppsV1Api);
  const labels = { app: name };
  const rsLabels = { ...labels, 'pod-template-hash': TEMPLATE_HASH };
  const deployment = await apps.createNamespacedDeployment({
    namespace,
    body: { metadata: { name, labels, ...(o.annotations ? { annotations: o.annotations } : {}) }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } } } },
  });
  const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata!.uid!, controller: true, blockOwnerDeletion: true };
  const rs = await apps.createNamespacedReplicaSet({
    namespace,
    body: {
      metadata: { name: `${name}-${TEMPLATE_HASH}`, labels: rsLabels, ownerReferences: [owner] },
      spec: { selector: { matchLabels: rsLabels }, template: { metadata: { labels: rsLabels }, spec: { containers } } },
    },
  });
  return { rsUid: rs.metadata!.uid!, deploymentUid: deployment.metadata!.uid! };
}
