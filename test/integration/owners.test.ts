// Who a pod belongs to, checked against a real API server as the Lambda's identity: a pod may write any
// ownerReference, so a Deployment is its workload only when the ReplicaSet it names exists with that uid and selects
// it, and the Deployment above holds the same way. Otherwise it is a bare pod: no other team's Deployment is shown,
// routed by, or offered to Raise limit.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KubernetesObjectApi, type KubernetesObject, type V1Node } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { proposedChange } from '../../bot/raise-limit.ts';
import { enrichPod } from '../../kube/collect.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { diagnose } from '#shared/diagnose.ts';
import { container, node, pod, restartedStatus, TEMPLATE_HASH } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
const lambda = { user: 'oombot-analyze', groups: ['oombot:readers', 'system:authenticated'] };
let chain: { rsUid: string; deploymentUid: string };

beforeAll(async () => {
  const objects = KubernetesObjectApi.makeApiClient(cluster.admin);
  const yaml = await readFile(path.join(import.meta.dirname, '../../infra/rbac/oombot-reader.yaml'), 'utf8');
  for (const doc of parseAllDocuments(yaml)) await objects.create(doc.toJS() as KubernetesObject);
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  chain = await createDeploymentChain(cluster.admin, 'shop', 'checkout');
});

const oomKilled = (o: Partial<Parameters<typeof pod>[0]>) =>
  pod({ containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)], ...o });

async function verdictOf(p: ReturnType<typeof pod>) {
  const api = kubeConfigTransport(cluster.controlPlane.kubeConfigAs(lambda));
  return diagnose(await enrichPod(api, p));
}

describe('attributing a pod to its workload', () => {
  it('takes the Deployment when the ReplicaSet the pod names exists with that uid and selects it', async () => {
    const v = await verdictOf(oomKilled({ deployment: 'checkout', rsUid: chain.rsUid }));
    expect(v.workload).toEqual({ kind: 'Deployment', name: 'checkout' });
    expect(v.missing.join('\n')).not.toMatch(/owner/);
  });

  it('treats a pod that names the ReplicaSet with a forged uid as a bare pod, and says why', async () => {
    const v = await verdictOf(oomKilled({ name: 'intruder', deployment: 'checkout', rsUid: '11111111-2222-3333-4444-555555555555' }));
    expect(v.workload).toBeUndefined();
    expect(v.missing).toContainEqual(expect.stringMatching(new RegExp(`^the owner ReplicaSet/checkout-${TEMPLATE_HASH} the pod names: exists with another uid`)));
    // The button acts on the pod itself (a resize of the intruder's own pod), never on the Deployment.
    expect(proposedChange(v)).toBeDefined();
    expect(v.headline).toMatch(/^intruder › api/);
  });

  it('treats a pod with the right uid but labels the ReplicaSet does not select as a bare pod', async () => {
    const v = await verdictOf(oomKilled({ name: 'lookalike', deployment: 'checkout', rsUid: chain.rsUid, metadata: { labels: { app: 'checkout' } } }));
    expect(v.workload).toBeUndefined();
    expect(v.missing).toContainEqual(expect.stringMatching(/selector does not match the pod's labels/));
  });

  it('treats a pod that names a ReplicaSet that does not exist as a bare pod', async () => {
    const v = await verdictOf(oomKilled({ name: 'orphan', deployment: 'payments' }));
    expect(v.workload).toBeUndefined();
    expect(v.missing).toContainEqual(expect.stringMatching(/^the owner ReplicaSet\/payments-7d9f8b6c5 the pod names: not found; treated as a bare pod$/));
  });

  it('treats a pod that names a Deployment or a CronJob directly as a bare pod, even with the right uid and labels: they never own pods', async () => {
    // A Deployment's uid is readable by anyone who may get Deployments, and a pod's author writes its labels.
    const direct = oomKilled({ name: 'direct', metadata: { labels: { app: 'checkout' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout', uid: chain.deploymentUid, controller: true }] } });
    const v = await verdictOf(direct);
    expect(v.workload).toBeUndefined();
    expect(v.missing).toContainEqual('the owner Deployment/checkout the pod names: a Deployment never owns pods itself (its ReplicaSets do), so the reference is not its own; treated as a bare pod');
    const cron = oomKilled({ name: 'cron-direct', metadata: { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'any', controller: true }] } });
    expect((await verdictOf(cron)).workload).toBeUndefined();
  });
});
