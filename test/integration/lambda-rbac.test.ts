// The Lambda's Kubernetes identity with infra/rbac applied to a real API server, by impersonation: enrichment works
// without nodes/proxy and says what it could not see; nothing is writable and Secrets stay closed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AuthorizationV1Api, KubernetesObjectApi, type KubernetesObject, type V1Node } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { enrichPod } from '../../kube/collect.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { diagnose } from '#shared/diagnose.ts';
import { container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
const lambda = { user: 'arn:aws:sts::123456789012:assumed-role/oombot-prod-analyze/oombot-prod-analyze', groups: ['oombot:readers', 'system:authenticated'] };

beforeAll(async () => {
  const yaml = await readFile(path.join(import.meta.dirname, '../../infra/rbac/oombot-reader.yaml'), 'utf8');
  const client = KubernetesObjectApi.makeApiClient(cluster.admin);
  for (const doc of parseAllDocuments(yaml)) await client.create(doc.toJS() as KubernetesObject);
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
});

describe('the Lambda identity (infra/rbac/oombot-reader.yaml)', () => {
  it('enriches an occurrence without nodes/proxy, and lists the kubelet as not seen', async () => {
    const api = kubeConfigTransport(cluster.controlPlane.kubeConfigAs(lambda));
    const p = pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)] });
    const verdict = diagnose(await enrichPod(api, p));
    expect(verdict).toMatchObject({ cause: 'limit', confidence: 'high', memory: { nodeAllocatable: '14Gi' } });
    expect(verdict.missing).toEqual(expect.arrayContaining(['kubelet stats (Summary API): nodes/proxy not granted (opt-in)', 'kubelet config (configz): nodes/proxy not granted (opt-in)']));
    expect(verdict.missing.join('\n')).not.toMatch(/node object|events of/);
  });

  it('may read what enrichment needs and nothing more', async () => {
    const authz = cluster.controlPlane.kubeConfigAs(lambda).makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, resource: string, group = '', subresource?: string) =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, group, namespace: 'shop', ...(subresource ? { subresource } : {}) } } } })).status?.allowed ?? false;
    expect({
      pods: await can('get', 'pods'),
      nodes: await can('list', 'nodes'),
      events: await can('list', 'events'),
      replicasets: await can('get', 'replicasets', 'apps'),
      deployments: await can('get', 'deployments', 'apps'),
      namespaces: await can('get', 'namespaces'),
      metrics: await can('get', 'pods', 'metrics.k8s.io'),
    }).toEqual({ pods: true, nodes: true, events: true, replicasets: true, deployments: true, namespaces: true, metrics: true });
    expect({
      secrets: await can('get', 'secrets'),
      nodesProxy: await can('get', 'nodes', '', 'proxy'),
      patchDeployments: await can('patch', 'deployments', 'apps'),
      deletePods: await can('delete', 'pods'),
      exec: await can('create', 'pods', '', 'exec'),
    }).toEqual({ secrets: false, nodesProxy: false, patchDeployments: false, deletePods: false, exec: false });
  });
});
