// `/oom why <pod>` without -n, as the backend's Kubernetes identity with infra/rbac applied to a real API server: the
// shipped oombot-reader ClusterRole lets it find a uniquely named pod in another namespace with one list; a cluster that
// binds the role namespace by namespace instead gets the old answer and a hint to add -n.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubernetesObjectApi, RbacAuthorizationV1Api, type KubernetesObject, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { answerOom, type CommandDeps } from '../../bot/oom-command.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { FileStore } from '../../store/file.ts';
import { at, container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
const POD = 'cart-7d9f8b6c5-x2k4p';
/** The actions function's identity (docs/architecture.md, "Security rules"): the readers group. */
const actions = { user: 'arn:aws:sts::123456789012:assumed-role/oombot-prod-actions/oombot-prod-actions', groups: ['oombot:readers', 'system:authenticated'] };
/** A reader the cluster bound only in default and shop (RoleBindings of the same ClusterRole). */
const narrow = { user: 'narrow-reader', groups: ['system:authenticated'] };
let dir: string;
let store: FileStore;

async function createOomPod(namespace: string, name: string): Promise<void> {
  const p = pod({ name, namespace, containers: [container({ name: 'api', limit: '512Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(0) }, 2)] });
  const { status, ...spec } = p;
  await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as V1Pod['status'] & object);
}

const deps = (identity: { user: string; groups: string[] }): CommandDeps => ({
  store,
  cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.controlPlane.kubeConfigAs(identity)) : undefined),
  clusters: ['prod-eu'],
  // What actions allows itself outside Slack's 3 s (bot/actions.ts); this test is about the answer, not the time.
  whyBudgetMs: 20_000,
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oombot-why-'));
  store = await FileStore.open(path.join(dir, 'store.json'));
  const yaml = await readFile(path.join(import.meta.dirname, '../../infra/rbac/oombot-reader.yaml'), 'utf8');
  const client = KubernetesObjectApi.makeApiClient(cluster.admin);
  for (const doc of parseAllDocuments(yaml)) await client.create(doc.toJS() as KubernetesObject);
  for (const ns of ['shop', 'team-a', 'team-b']) await createNamespace(cluster.admin, ns);
  await createNode(cluster.admin, node() as unknown as V1Node);
  await createOomPod('shop', POD);
  await createOomPod('team-a', 'cart-0');
  await createOomPod('team-b', 'cart-0');
  const rbac = cluster.admin.makeApiClient(RbacAuthorizationV1Api);
  for (const namespace of ['default', 'shop']) {
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: { metadata: { name: 'narrow-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'oombot-reader' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: narrow.user }] },
    });
  }
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('/oom why <pod> without -n, as the backend reads clusters', () => {
  it('finds a pod alone of its name in another namespace, and says where', async () => {
    const reply = await answerOom(deps(actions), `why ${POD}`, 'U0ALICE');
    const blocks = reply.blocks as { type: string; text?: { text: string }; elements?: { text: string }[] }[];
    expect(blocks[0]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: `Found in namespace shop (no pod ${POD} in default).` }] });
    expect(blocks[1]?.text?.text).toBe(`🔴 ${POD} › api was OOMKilled at its 512Mi memory limit`);
  });

  it('lists the namespaces of a name found in several', async () => {
    expect((await answerOom(deps(actions), 'why cart-0', 'U0ALICE')).text).toBe('`cart-0` is in 2 namespaces of cluster prod-eu: team-a, team-b — add `-n &lt;namespace&gt;`.');
  });

  it('says "in any namespace" when none has it, and "in namespace X" when -n was given', async () => {
    expect((await answerOom(deps(actions), 'why ghost-0', 'U0ALICE')).text).toBe('Pod ghost-0 not found in any namespace of cluster prod-eu.');
    expect((await answerOom(deps(actions), `why ${POD} -n team-a`, 'U0ALICE')).text).toBe(`Pod ${POD} not found in namespace team-a of cluster prod-eu.`);
  });

  it('where the reader may not list pods cluster-wide: not found in default, and a hint to add -n', async () => {
    expect((await answerOom(deps(narrow), `why ${POD}`, 'U0ALICE')).text).toBe(`Pod ${POD} not found in namespace default of cluster prod-eu, and I may not list pods across its namespaces to look elsewhere: add \`-n &lt;namespace&gt;\`.`);
    const given = await answerOom(deps(narrow), `why ${POD} -n shop`, 'U0ALICE');
    expect((given.blocks as { text?: { text: string } }[])[0]?.text?.text).toBe(`🔴 ${POD} › api was OOMKilled at its 512Mi memory limit`);
  });
});
