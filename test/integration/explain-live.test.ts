// `oombot explain` live against a real kube-apiserver: the pod, its status and events written as a kubelet would,
// read through a kubeconfig — as the admin, and as a ServiceAccount that may not read nodes (the degraded answer).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api, type CoreV1Event, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VerdictSchema } from '#shared/verdict.ts';
import { at, container, event, node, pod, podEvent, restartedStatus } from '../support/k8s-factories.ts';
import { runCli } from '../support/run-cli.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createEvent, createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let dir: string;
const savedKubeconfig = process.env['KUBECONFIG'];

/** A kubeconfig with the control plane's server and CA and the given bearer token. */
async function kubeconfigWithToken(name: string, token: string): Promise<string> {
  const config = JSON.parse(cluster.controlPlane.kubeconfigYaml());
  for (const u of config.users) u.user = { token };
  const file = path.join(dir, `${name}.kubeconfig`);
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

const checkoutPod = (rsUid: string) =>
  pod({
    deployment: 'checkout',
    rsUid,
    namespace: 'shop',
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(0) }, 4)],
  });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oombot-explain-'));
  const kc = cluster.admin;
  await createNamespace(kc, 'shop');
  await createNode(kc, node() as unknown as V1Node);
  // The owner chain the Deployment and ReplicaSet controllers would have made (no controller runs here).
  const checkout = checkoutPod((await createDeploymentChain(kc, 'shop', 'checkout')).rsUid);
  const { status, ...spec } = checkout;
  const created = await createPodAsKubelet(kc, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as V1Pod['status'] & object);
  const withUid = { ...checkout, metadata: { ...checkout.metadata, uid: created.metadata!.uid! } };
  await createEvent(kc, podEvent(withUid, { reason: 'BackOff', message: 'Back-off restarting failed container api in pod checkout-7d9f8b6c5-m4tzr_shop', container: 'api', count: 7, at: at(30) }) as unknown as CoreV1Event);
  // A SystemOOM far from the kill: it must not be taken as the cause.
  await createEvent(kc, event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: java, pid: 4242', at: at(-7200) }) as unknown as CoreV1Event);

  // A ServiceAccount that may read pods and events in `shop`, and nothing about nodes.
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace: 'shop', body: { metadata: { name: 'reader' } } });
  await rbac.createNamespacedRole({
    namespace: 'shop',
    body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list'] }] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: 'shop',
    body: { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'shop' }] },
  });
});

afterEach(() => {
  if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
  else process.env['KUBECONFIG'] = savedKubeconfig;
});

describe('oombot explain, live', () => {
  it('diagnoses a limit OOM from the API server with the owner, node and events', async () => {
    process.env['KUBECONFIG'] = await kubeconfigWithToken('admin', cluster.controlPlane.adminToken);
    const { code, stdout, stderr } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr', '--output', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const verdict = VerdictSchema.parse(JSON.parse(stdout));
    expect(verdict).toMatchObject({
      cause: 'limit',
      kind: 'container-limit',
      confidence: 'high',
      container: 'api',
      workload: { kind: 'Deployment', name: 'checkout' },
      node: 'ip-10-0-12-7',
      memory: { limit: '512Mi', request: '256Mi', nodeAllocatable: '14Gi' },
      recommendation: { memoryLimit: '640Mi', capped: false },
    });
    expect(verdict.evidence).toContain('no SystemOOM or node-wide kernel OOM event on node ip-10-0-12-7 within 2 min of the kill');
    // No metrics-server and no kubelet here: both are reported as missing, not as errors.
    expect(verdict.missing).toContain('metrics.k8s.io (current working set): not served by this cluster');
    expect(verdict.missing.some((m) => m.startsWith('kubelet stats (Summary API): '))).toBe(true);
    // The same, as data: which source, and why.
    expect(verdict.unseen).toContainEqual({ source: 'metrics', reason: 'not-found' });
    expect(verdict.unseen?.map((u) => u.source)).toContain('kubelet-summary');
  });

  it('answers with less, and says what it could not see, as a ServiceAccount that may not read nodes', async () => {
    const token = await cluster.admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: 'reader', namespace: 'shop', body: { spec: { audiences: [], expirationSeconds: 600 } } });
    process.env['KUBECONFIG'] = await kubeconfigWithToken('reader', token.status!.token);
    const { code, stdout } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr', '-o', 'json');
    expect(code).toBe(0);
    const verdict = JSON.parse(stdout);
    expect(verdict).toMatchObject({ cause: 'limit', kind: 'container-limit', confidence: 'medium', container: 'api' });
    expect(verdict.memory.nodeAllocatable).toBeUndefined();
    const missing = verdict.missing.join('\n');
    expect(missing).toMatch(/^the node object \(ip-10-0-12-7\): forbidden \(nodes "ip-10-0-12-7" is forbidden: User "system:serviceaccount:shop:reader" cannot get resource "nodes"/m);
    expect(missing).toMatch(/^events of node ip-10-0-12-7: forbidden/m);
    expect(missing).toMatch(/^kubelet stats \(Summary API\): nodes\/proxy not granted \(opt-in\)$/m);
    // The owner the pod names cannot be checked without reading its ReplicaSet: it is not taken on the pod's word.
    expect(verdict.workload).toBeUndefined();
    expect(missing).toMatch(/^the owner ReplicaSet\/checkout-7d9f8b6c5 the pod names: forbidden \(.*\); treated as a bare pod$/m);
    // As data, the API server's own words kept in `detail`; the refused nodes/proxy named by its reason alone.
    expect(verdict.unseen).toContainEqual({ source: 'node', reason: 'not-permitted', detail: expect.stringMatching(/^nodes "ip-10-0-12-7" is forbidden/) });
    expect(verdict.unseen).toContainEqual(expect.objectContaining({ source: 'node-events', reason: 'not-permitted' }));
    expect(verdict.unseen).toContainEqual(expect.objectContaining({ source: 'kubelet-summary', reason: 'not-permitted' }));
    expect(verdict.unseen).toContainEqual({ source: 'owner', reason: 'not-verified', detail: expect.stringMatching(/^the owner ReplicaSet\/checkout-7d9f8b6c5 the pod names: forbidden/) });
    // The caller's reason for the node replaced the engine's generic line about it.
    expect(verdict.missing).not.toContain('the node object (allocatable, MemoryPressure)');
  });

  it('text output reads the same verdict', async () => {
    process.env['KUBECONFIG'] = await kubeconfigWithToken('admin', cluster.controlPlane.adminToken);
    const { code, stdout } = await runCli('explain', 'checkout-7d9f8b6c5-m4tzr', '-n', 'shop');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('LIMIT  checkout › api was OOMKilled at its 512Mi memory limit');
  });

  it('a pod that does not exist: exit 3 naming namespace and cluster', async () => {
    process.env['KUBECONFIG'] = await kubeconfigWithToken('admin', cluster.controlPlane.adminToken);
    const { code, stderr } = await runCli('explain', 'shop/nope');
    expect(code).toBe(3);
    expect(stderr).toMatch(/^oombot: pod nope not found in namespace shop of .*\(https:\/\/127\.0\.0\.1:\d+\)\n$/);
  });

  it('rejected credentials: exit 4 and how to fix it', async () => {
    process.env['KUBECONFIG'] = await kubeconfigWithToken('bad', 'not-a-token');
    const { code, stderr } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr');
    expect(code).toBe(4);
    expect(stderr).toMatch(/rejected the credentials \(401 Unauthorized\): log in again or fix the kubeconfig user\n$/);
  });

  it('an unreachable cluster: exit 4, one line', async () => {
    const config = JSON.parse(cluster.controlPlane.kubeconfigYaml());
    for (const c of config.clusters) c.cluster.server = 'https://127.0.0.1:1';
    const file = path.join(dir, 'closed.kubeconfig');
    await writeFile(file, JSON.stringify(config));
    process.env['KUBECONFIG'] = file;
    const { code, stderr } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr');
    expect(code).toBe(4);
    expect(stderr).toMatch(/^oombot: cannot reach https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\n$/);
  });
});
