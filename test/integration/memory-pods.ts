// What a kubelet writes for the memory tests of the forwarder (sampling, warnings): a container running for an hour,
// then OOM-killed and restarted. Times are whole seconds, as the kubelet and metrics.k8s.io write them.
import type { KubeConfig } from '@kubernetes/client-node';
import { createPodAsKubelet, updatePodStatus } from './harness.ts';

export const wholeSecond = (ms = Date.now()): Date => new Date(Math.floor(ms / 1000) * 1000);

/** A Running pod of one container on `node`, started an hour ago. */
export async function runningPod(admin: KubeConfig, namespace: string, node: string, name: string, container: { name: string; resources?: object }): Promise<void> {
  const startedAt = wholeSecond(Date.now() - 3_600_000);
  await createPodAsKubelet(
    admin,
    { metadata: { name, namespace }, spec: { nodeName: node, containers: [{ image: 'registry.example/app:1', ...container }] } },
    { phase: 'Running', containerStatuses: [{ name: container.name, image: 'registry.example/app:1', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt } } }] },
  );
}

/** What a kubelet writes when the pod's containers are OOM-killed and restarted; the kill's time. */
export async function oomKillPod(admin: KubeConfig, namespace: string, name: string): Promise<Date> {
  const finishedAt = wholeSecond();
  await updatePodStatus(admin, namespace, name, (p) => ({
    ...p.status,
    containerStatuses: p.status!.containerStatuses!.map((s) => ({
      ...s,
      restartCount: s.restartCount + 1,
      state: { running: { startedAt: finishedAt } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: wholeSecond(Date.now() - 600_000), finishedAt } },
    })),
  }));
  return finishedAt;
}
