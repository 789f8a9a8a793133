// The one-click limit increase against a real API server, as the Lambda's identity (infra/rbac applied, impersonated):
// allowed users patch that one container's limit with field manager oombot and leave an audit record; everything else
// is refused with a reason and changes nothing.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions, type KubernetesObject, type V1Deployment, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { raiseLimit, type RaiseDeps } from '../../bot/raise-limit.ts';
import { clusterRegistry, type ClusterEntry } from '../../kube/cluster-registry.ts';
import { kubeConfigTransport, type KubeTransport } from '../../kube/rest.ts';
import { diagnose } from '#shared/diagnose.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import type { Verdict } from '#shared/verdict.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { container, node, pod, restartedStatus, T0 } from '../support/k8s-factories.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
// The actions function's identity: its role is mapped to both groups; analyze's only to the readers (infra/rbac).
const lambda = { user: 'arn:aws:sts::123456789012:assumed-role/oombot-prod-actions/oombot-prod-actions', groups: ['oombot:readers', 'oombot:patchers', 'system:authenticated'] };
const analyze = { user: 'oombot-analyze', groups: ['oombot:readers', 'system:authenticated'] };
let dynamo: LocalDynamo;
let store: DynamoStore;
let deps: RaiseDeps;

/** A click as the actions job handles it: the incident loaded from the store by the button's id, and handed down. */
async function raise(incidentId: string, userId: string, raiseDeps: RaiseDeps = deps) {
  const incident = await store.incident(incidentId);
  if (!incident) throw new Error(`no incident ${incidentId} in the store`);
  return raiseLimit(raiseDeps, { incident, userId });
}

async function deployment(namespace: string, name: string, labels: Record<string, string> = {}, fieldManager?: string) {
  await cluster.admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    ...(fieldManager ? { fieldManager } : {}),
    body: {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }, { name: 'sidecar', image: 'proxy:1' }] } },
      },
    } as V1Deployment,
  });
}

async function incidentFor(namespace: string, name: string, id: string, tweak: (v: Verdict) => Verdict = (v) => v) {
  const p = pod({ namespace, deployment: name, containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 3)] });
  const verdict = tweak(diagnose({ pod: p, node: node(), events: [] }));
  await store.recordIncident({ incidentId: id, occurrenceId: `term-${id}`, cluster: 'prod-eu', namespace, workload: `Deployment/${name}`, container: 'api', cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: T0, message: { channel: 'C1', ts: '1.1' }, verdict });
}

const rv = async (namespace: string, name: string) => (await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace })).metadata!.resourceVersion;

/** A refusal, and proof that it changed nothing: the object's resourceVersion did not move. */
async function refusedUnchanged(incidentId: string, userId: string, namespace: string, name: string) {
  const before = await rv(namespace, name);
  const outcome = await raise(incidentId, userId);
  expect(await rv(namespace, name)).toBe(before);
  return outcome;
}

const limitOf = async (namespace: string, name: string, c = 'api') =>
  (await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace })).spec!.template.spec!.containers.find((x) => x.name === c)!.resources?.limits?.['memory'];

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('oombot');
  const objects = KubernetesObjectApi.makeApiClient(cluster.admin);
  for (const ns of ['shop', 'other']) await createNamespace(cluster.admin, ns);
  for (const file of ['oombot-reader.yaml', 'oombot-patcher.yaml']) {
    const yaml = await readFile(path.join(import.meta.dirname, '../../infra/rbac', file), 'utf8');
    for (const doc of parseAllDocuments(yaml)) await objects.create(doc.toJS() as KubernetesObject);
  }
  await createNode(cluster.admin, node() as unknown as V1Node);
  store = new DynamoStore(dynamo.client, 'oombot');
  deps = {
    store,
    cluster: () => kubeConfigTransport(cluster.controlPlane.kubeConfigAs(lambda)),
    policy: { allowed: { shop: ['U0ALICE'], other: ['U0ALICE'] }, contact: '#platform', maxFactor: 2 },
  };
  await deployment('shop', 'checkout');
  await deployment('shop', 'gitops', { 'argocd.argoproj.io/instance': 'shop' });
  await deployment('other', 'elsewhere');
  await deployment('shop', 'synced', {}, 'argocd-controller'); // applied by Argo CD's controller, no Argo label
  await incidentFor('shop', 'synced', 'inc-argo-managed');
  await incidentFor('shop', 'checkout', 'inc-ok');
  await incidentFor('shop', 'gitops', 'inc-argo');
  await incidentFor('other', 'elsewhere', 'inc-norbac');
  await incidentFor('shop', 'checkout', 'inc-huge', (v) => ({ ...v, recommendation: { ...v.recommendation!, memoryLimit: '4Gi' } }));
});
afterAll(async () => {
  await dynamo?.close();
});

describe('raiseLimit', () => {
  it('refuses a user the namespace does not allow, saying who to ask, and changes nothing', async () => {
    expect(await refusedUnchanged('inc-ok', 'U0MALLORY', 'shop', 'checkout')).toEqual({ status: 'refused', reason: 'You may not change workloads in shop. Ask #platform. Allowed: U0ALICE.', audience: 'user' });
    expect(await store.auditTrail('inc-ok')).toEqual([expect.objectContaining({ userId: 'U0MALLORY', action: 'raise-memory-refused', after: expect.stringMatching(/^You may not change workloads in shop/) })]);
    expect(await limitOf('shop', 'checkout')).toBe('512Mi');
  });

  it('refuses more than the factor cap allows', async () => {
    expect(await refusedUnchanged('inc-huge', 'U0ALICE', 'shop', 'checkout')).toEqual({ status: 'refused', reason: '4Gi is more than 2× the current 512Mi: change it by hand if you mean it.', audience: 'thread' });
  });

  it('refuses a workload Argo CD manages', async () => {
    expect(await refusedUnchanged('inc-argo', 'U0ALICE', 'shop', 'gitops')).toEqual({ status: 'refused', reason: 'Deployment/gitops is managed by Argo CD (label argocd.argoproj.io/instance): change the limit in Git, or Argo CD will revert it.', audience: 'thread' });
    expect(await limitOf('shop', 'gitops')).toBe('512Mi');
  });

  it('refuses a workload Argo CD’s controller applied, by its field manager, even without Argo’s labels', async () => {
    expect(await refusedUnchanged('inc-argo-managed', 'U0ALICE', 'shop', 'synced')).toEqual({ status: 'refused', reason: 'Deployment/synced is managed by Argo CD (field manager argocd-controller): change the limit in Git, or Argo CD will revert it.', audience: 'thread' });
  });

  it('says so when RBAC does not let oombot patch in that namespace', async () => {
    const outcome = await refusedUnchanged('inc-norbac', 'U0ALICE', 'other', 'elsewhere');
    expect(outcome.status).toBe('refused');
    // The reader role lets it read the Deployment everywhere; only the patch is forbidden outside `shop`.
    expect(outcome.status === 'refused' && outcome.reason).toMatch(/^oombot may not change Deployment\/elsewhere in other \(403: deployments\.apps "elsewhere" is forbidden: .*\)\. Bind it the oombot-patcher role there\.$/);
    // The API server names the caller (the role's ARN, the account id): Slack hears "oombot" instead.
    expect(outcome.status === 'refused' && outcome.reason).toMatch(/is forbidden: oombot cannot patch resource "deployments"/);
    expect(outcome.status === 'refused' && outcome.reason).not.toMatch(/arn:aws|123456789012|assumed-role/);
    expect(await limitOf('other', 'elsewhere')).toBe('512Mi');
  });

  it('patches that one container’s limit as oombot, and records who, what, before and after', async () => {
    expect(await raise('inc-ok', 'U0ALICE')).toEqual({ status: 'patched', target: 'shop/Deployment/checkout', container: 'api', field: 'limit', before: '512Mi', after: '640Mi', how: 'workload', next: 'Its pods roll out with the new value now.' });
    const d = await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'checkout', namespace: 'shop' });
    const [api, sidecar] = d.spec!.template.spec!.containers;
    expect(api!.resources).toEqual({ limits: { memory: '640Mi' }, requests: { memory: '256Mi' } });
    expect(sidecar!.resources ?? {}).toEqual({});
    expect(d.metadata!.managedFields!.some((f) => f.manager === 'oombot' && f.operation === 'Update')).toBe(true);
    expect(await store.auditTrail('inc-ok')).toContainEqual({ incidentId: 'inc-ok', cluster: 'prod-eu', userId: 'U0ALICE', action: 'raise-memory-limit', target: 'shop/Deployment/checkout/api', before: '512Mi', after: '640Mi', at: expect.any(String) });
    // A second click finds it already raised.
    expect(await raise('inc-ok', 'U0ALICE')).toEqual({ status: 'refused', reason: 'The limit is already 640Mi (someone raised it): nothing was changed.', audience: 'thread' });
  });
});

describe('raiseLimit, beyond the Deployment limit', () => {
  it('allows the members of a Slack user group named in the policy, and only them', async () => {
    await deployment('shop', 'grouped');
    await incidentFor('shop', 'grouped', 'inc-group');
    const groupDeps: RaiseDeps = { ...deps, policy: { allowed: { shop: ['S0ONCALL'] } }, groupMembers: async (id) => (id === 'S0ONCALL' ? ['U0DAVE'] : []) };
    expect(await raise('inc-group', 'U0EVE', groupDeps)).toEqual({ status: 'refused', reason: 'You may not change workloads in shop. Allowed: a member of user group S0ONCALL.', audience: 'user' });
    expect(await raise('inc-group', 'U0DAVE', groupDeps)).toMatchObject({ status: 'patched', after: '640Mi' });
  });

  it('changes nothing, and says neither yes nor no, when Slack cannot list a user group the policy names', async () => {
    await deployment('shop', 'unlisted');
    await incidentFor('shop', 'unlisted', 'inc-unlisted');
    const failing: RaiseDeps = { ...deps, policy: { allowed: { shop: ['S0ONCALL'] } }, groupMembers: async () => Promise.reject(new Error('ratelimited')) };
    const before = await rv('shop', 'unlisted');
    await expect(raise('inc-unlisted', 'U0DAVE', failing)).rejects.toMatchObject({ name: 'GroupLookupError', group: 'S0ONCALL' });
    expect(await rv('shop', 'unlisted')).toBe(before);
    // Not a refusal (the user may be a member): nothing on the record; the actions job answers with a reference.
    expect(await store.auditTrail('inc-unlisted')).toEqual([]);
  });

  it('sets a realistic request for a pod evicted far below its usage, leaving the limit alone', async () => {
    await deployment('shop', 'evicted');
    await incidentFor('shop', 'evicted', 'inc-evicted', (v) => ({ ...v, cause: 'node-pressure', kind: 'eviction', recommendation: { memoryRequest: '400Mi', capped: false, rationale: 'usage at eviction' } }));
    expect(await raise('inc-evicted', 'U0ALICE')).toEqual({ status: 'patched', target: 'shop/Deployment/evicted', container: 'api', field: 'request', before: '256Mi', after: '400Mi', how: 'workload', next: 'Its pods roll out with the new value now.' });
    const api = (await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'evicted', namespace: 'shop' })).spec!.template.spec!.containers[0]!;
    expect(api.resources).toEqual({ limits: { memory: '512Mi' }, requests: { memory: '400Mi' } });
  });

  it('refuses a request above the limit, changing nothing', async () => {
    await deployment('shop', 'greedy');
    await incidentFor('shop', 'greedy', 'inc-greedy', (v) => ({ ...v, cause: 'node-pressure', kind: 'eviction', recommendation: { memoryRequest: '1Gi', capped: false, rationale: 'usage at eviction' } }));
    expect(await refusedUnchanged('inc-greedy', 'U0ALICE', 'shop', 'greedy')).toEqual({ status: 'refused', reason: 'A request of 1Gi is above the limit 512Mi: raise the limit first, by hand.', audience: 'thread' });
  });

  it('resizes a bare pod in place through pods/resize, and says it will not survive a rollout', async () => {
    // A kubelet with in-place resize reports each running container's resources in its status (without them, the API
    // server refuses the resize: "Pod running on node without support for resize").
    const running = { ...restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1), resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } };
    const bare = pod({ namespace: 'shop', name: 'solo', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [running] });
    const { status, ...spec } = bare;
    await createPodAsKubelet(cluster.admin, { ...spec, metadata: { name: 'solo', namespace: 'shop' } } as unknown as V1Pod, status as never);
    const verdict = diagnose({ pod: bare, node: node(), events: [] });
    expect(verdict.workload).toBeUndefined();
    await store.recordIncident({ incidentId: 'inc-bare', occurrenceId: 'term-bare', cluster: 'prod-eu', namespace: 'shop', workload: 'Pod/solo', container: 'api', cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: T0, message: { channel: 'C1', ts: '1.2' }, verdict });
    expect(await raise('inc-bare', 'U0ALICE')).toEqual({ status: 'patched', target: 'shop/Pod/solo', container: 'api', field: 'limit', before: '512Mi', after: '640Mi', how: 'resize', next: expect.stringMatching(/^Resize requested: the kubelet applies it in place .* It does not survive a rollout or the pod being recreated: change its manifest too\.$/) });
    const live = await cluster.admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'solo', namespace: 'shop' });
    expect(live.spec!.containers[0]!.resources).toEqual({ limits: { memory: '640Mi' }, requests: { memory: '256Mi' } });
    expect(live.metadata!.managedFields!.some((f) => f.manager === 'oombot' && f.subresource === 'resize')).toBe(true);
  });

  it('says so when the pod’s kubelet cannot resize in place, changing nothing', async () => {
    const old = pod({ namespace: 'shop', name: 'legacy', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    const { status, ...spec } = old;
    const created = await createPodAsKubelet(cluster.admin, { ...spec, metadata: { name: 'legacy', namespace: 'shop' } } as unknown as V1Pod, status as never);
    const verdict = diagnose({ pod: old, node: node(), events: [] });
    await store.recordIncident({ incidentId: 'inc-legacy', occurrenceId: 'term-legacy', cluster: 'prod-eu', namespace: 'shop', workload: 'Pod/legacy', container: 'api', cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: T0, message: { channel: 'C1', ts: '1.3' }, verdict });
    expect(await raise('inc-legacy', 'U0ALICE')).toEqual({ status: 'refused', reason: "The kubelet on node ip-10-0-12-7 cannot resize pods in place: change the pod's manifest and recreate it.", audience: 'thread' });
    const live = await cluster.admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'legacy', namespace: 'shop' });
    expect(live.metadata!.resourceVersion).toBe(created.metadata!.resourceVersion);
  });

  it('gives the Lambda identity patch rights only where a RoleBinding of oombot-patcher exists, and never Secrets', async () => {
    const authz = cluster.controlPlane.kubeConfigAs(lambda).makeApiClient(AuthorizationV1Api);
    const can = async (namespace: string, verb: string, resource: string, group = '', subresource?: string) =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, group, namespace, ...(subresource ? { subresource } : {}) } } } })).status?.allowed ?? false;
    expect({
      patchShop: await can('shop', 'patch', 'deployments', 'apps'),
      resizeShop: await can('shop', 'patch', 'pods', '', 'resize'),
      patchOther: await can('other', 'patch', 'deployments', 'apps'),
      resizeOther: await can('other', 'patch', 'pods', '', 'resize'),
      patchPodsShop: await can('shop', 'patch', 'pods'),
      secretsShop: await can('shop', 'get', 'secrets'),
      listSecrets: await can('', 'list', 'secrets'),
    }).toEqual({ patchShop: true, resizeShop: true, patchOther: false, resizeOther: false, patchPodsShop: false, secretsShop: false, listSecrets: false });
  });
});

describe('who may patch, by SubjectAccessReview', () => {
  it('binds the patch right to the actions identity alone: analyze, in the readers group, may patch nothing even where oombot-patcher is bound', async () => {
    const authz = cluster.admin.makeApiClient(AuthorizationV1Api);
    const can = async (who: { user: string; groups: string[] }, verb: string, resource: string, group = '', subresource?: string) =>
      (await authz.createSubjectAccessReview({ body: { spec: { user: who.user, groups: who.groups, resourceAttributes: { namespace: 'shop', verb, resource, group, ...(subresource ? { subresource } : {}) } } } })).status?.allowed ?? false;
    expect({
      analyzePatch: await can(analyze, 'patch', 'deployments', 'apps'),
      analyzeResize: await can(analyze, 'patch', 'pods', '', 'resize'),
      analyzeCronJobs: await can(analyze, 'patch', 'cronjobs', 'batch'),
      analyzeRead: await can(analyze, 'get', 'deployments', 'apps'),
      actionsPatch: await can(lambda, 'patch', 'deployments', 'apps'),
      actionsResize: await can(lambda, 'patch', 'pods', '', 'resize'),
      actionsRead: await can(lambda, 'get', 'pods'),
    }).toEqual({ analyzePatch: false, analyzeResize: false, analyzeCronJobs: false, analyzeRead: true, actionsPatch: true, actionsResize: true, actionsRead: true });
  });
});

describe('raiseLimit on a token cluster: a reader token for everything, a patch token for Raise limit alone', () => {
  const READER = 'oombot/clusters/prod-eu';
  const PATCHER = 'oombot/cluster-patchers/prod-eu';
  const tokens: Record<string, string> = {};
  /** The secrets the registry asked for, in order: a token is fetched at its transport's first request. */
  let asked: string[];
  /** The cluster as the actions function registers it (kube/cluster-registry.ts), with or without a patch token. */
  function registered(withPatchToken: boolean) {
    const entry: ClusterEntry = { name: 'prod-eu', server: cluster.controlPlane.url, caData: Buffer.from(cluster.controlPlane.caData).toString('base64'), auth: 'token', tokenSecretId: READER, ...(withPatchToken ? { patchTokenSecretId: PATCHER } : {}) };
    asked = [];
    const registry = clusterRegistry([entry], {
      credentials: () => Promise.reject(new Error('a token cluster needs no AWS credentials')),
      secret: async (id) => {
        asked.push(id);
        const token = tokens[id];
        if (!token) throw new Error(`no secret ${id}`);
        return token;
      },
    });
    return { registry, raiseDeps: { ...deps, cluster: registry.reader, patcher: registry.patcher } satisfies RaiseDeps };
  }
  const review = async (api: KubeTransport, verb: string, namespace: string) =>
    ((await api.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, resource: 'deployments', group: 'apps', namespace } } } })).body as { status: { allowed: boolean } }).status.allowed;
  const whoAmI = async (api: KubeTransport) =>
    ((await api.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })).body as { status: { userInfo: { username: string } } }).status.userInfo.username;

  beforeAll(async () => {
    // README, "Deploy the backend", step 4, outside EKS: two ServiceAccounts, both bound to oombot-reader, and only the
    // patcher to oombot-patcher, in shop; each token kept under its own prefix.
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const rbac = cluster.admin.makeApiClient(RbacAuthorizationV1Api);
    await createNamespace(cluster.admin, 'oombot');
    for (const name of ['oombot-reader', 'oombot-patcher']) await core.createNamespacedServiceAccount({ namespace: 'oombot', body: { metadata: { name } } });
    const sa = (name: string) => ({ kind: 'ServiceAccount', name, namespace: 'oombot' });
    await rbac.createClusterRoleBinding({ body: { metadata: { name: 'oombot-reader-tokens' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'oombot-reader' }, subjects: [sa('oombot-reader'), sa('oombot-patcher')] } });
    await rbac.createNamespacedRoleBinding({ namespace: 'shop', body: { metadata: { name: 'oombot-patcher-token' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'oombot-patcher' }, subjects: [sa('oombot-patcher')] } });
    for (const [secret, name] of [[READER, 'oombot-reader'], [PATCHER, 'oombot-patcher']] as const) {
      tokens[secret] = (await core.createNamespacedServiceAccountToken({ name, namespace: 'oombot', body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status!.token;
    }
    await deployment('shop', 'ledger');
    await incidentFor('shop', 'ledger', 'inc-token-reader-only');
    await incidentFor('shop', 'ledger', 'inc-token-patch');
  });

  it('refuses Raise limit on a cluster registered with a reader token alone, before any call, saying what to set, and changes nothing', async () => {
    const { registry, raiseDeps } = registered(false);
    const before = await rv('shop', 'ledger');
    expect(await raise('inc-token-reader-only', 'U0ALICE', raiseDeps)).toEqual({
      status: 'refused',
      reason: 'Cluster prod-eu has no patch token, so Raise limit is off there: nothing was changed. Set patchTokenSecretId in its OOMBOT_CLUSTERS entry to a token bound to oombot-patcher (README, "Deploy the backend", step 4).',
      audience: 'thread',
    });
    // No token was even fetched: nothing reached the API server, and nothing changed.
    expect(asked).toEqual([]);
    expect(await rv('shop', 'ledger')).toBe(before);
    expect(await limitOf('shop', 'ledger')).toBe('512Mi');
    expect(await store.auditTrail('inc-token-reader-only')).toEqual([expect.objectContaining({ userId: 'U0ALICE', action: 'raise-memory-refused', after: expect.stringMatching(/^Cluster prod-eu has no patch token/) })]);
    // What reads (analyze, /oom why) reads as the reader token, which may patch nothing, even where oombot-patcher is bound.
    const reader = registry.reader('prod-eu')!;
    expect(await whoAmI(reader)).toBe('system:serviceaccount:oombot:oombot-reader');
    expect({ get: await review(reader, 'get', 'shop'), patch: await review(reader, 'patch', 'shop') }).toEqual({ get: true, patch: false });
  });

  it('patches with the patch token, which it fetches only for the raise, where oombot-patcher is bound to it', async () => {
    const { registry, raiseDeps } = registered(true);
    expect(await raise('inc-token-patch', 'U0ALICE', raiseDeps)).toMatchObject({ status: 'patched', target: 'shop/Deployment/ledger', before: '512Mi', after: '640Mi' });
    expect(await limitOf('shop', 'ledger')).toBe('640Mi');
    // The whole raise (its read, the dry run, the patch) ran as the patch token; the reader token was not needed.
    expect(asked).toEqual([PATCHER]);
    const patcher = registry.patcher('prod-eu');
    if (!patcher || patcher === 'no-patch-token') throw new Error('the registry has no patcher for prod-eu');
    expect(await whoAmI(patcher)).toBe('system:serviceaccount:oombot:oombot-patcher');
    expect({ shop: await review(patcher, 'patch', 'shop'), other: await review(patcher, 'patch', 'other') }).toEqual({ shop: true, other: false });
  });
});

describe('raiseLimit, when things change under it', () => {
  it('refuses with 409 when the workload changed between its check and its patch, keeping the other change', async () => {
    await deployment('shop', 'raced');
    await incidentFor('shop', 'raced', 'inc-raced');
    const real = kubeConfigTransport(cluster.controlPlane.kubeConfigAs(lambda));
    // Someone raises the limit to 1Gi right after oombot read the Deployment: a real write, between the real calls.
    const racing: KubeTransport = Object.assign(Object.create(real) as KubeTransport, {
      get: async (path: string, options?: object) => {
        const res = await real.get(path, options);
        if (path.endsWith('/deployments/raced')) {
          await cluster.admin.makeApiClient(AppsV1Api).patchNamespacedDeployment({ name: 'raced', namespace: 'shop', body: { spec: { template: { spec: { containers: [{ name: 'api', resources: { limits: { memory: '1Gi' } } }] } } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
        }
        return res;
      },
    });
    expect(await raise('inc-raced', 'U0ALICE', { ...deps, cluster: () => racing })).toEqual({ status: 'refused', reason: 'Deployment/raced changed while I was checking it: nothing was changed. Look at its limit now, and click again if it still needs it.', audience: 'thread' });
    expect(await limitOf('shop', 'raced')).toBe('1Gi');
  });

  it('keeps a Guaranteed container Guaranteed: request follows the limit when they were equal', async () => {
    await cluster.admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: 'shop',
      body: { metadata: { name: 'steady' }, spec: { selector: { matchLabels: { app: 'steady' } }, template: { metadata: { labels: { app: 'steady' } }, spec: { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '512Mi' } } }] } } } } as V1Deployment,
    });
    await incidentFor('shop', 'steady', 'inc-steady');
    expect(await raise('inc-steady', 'U0ALICE')).toMatchObject({ status: 'patched', before: '512Mi', after: '640Mi' });
    const api = (await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'steady', namespace: 'shop' })).spec!.template.spec!.containers[0]!;
    expect(api.resources).toEqual({ limits: { memory: '640Mi' }, requests: { memory: '640Mi' } });
  });

  it('finds no policy entry in a namespace named like an Object property', async () => {
    await createNamespace(cluster.admin, 'constructor');
    await deployment('constructor', 'odd');
    await incidentFor('constructor', 'odd', 'inc-odd');
    expect(await raise('inc-odd', 'U0ALICE', { ...deps, policy: { allowed: {} } })).toEqual({ status: 'refused', reason: 'You may not change workloads in constructor.', audience: 'user' });
  });
});

describe('raiseLimit, for an init container', () => {
  it('patches the init container (a native sidecar here) by name, not a container of the same list', async () => {
    await cluster.admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: 'shop',
      body: {
        metadata: { name: 'meshed' },
        spec: {
          selector: { matchLabels: { app: 'meshed' } },
          template: {
            metadata: { labels: { app: 'meshed' } },
            spec: {
              initContainers: [{ name: 'mesh', image: 'mesh:1', restartPolicy: 'Always', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }],
              containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }],
            },
          },
        },
      } as V1Deployment,
    });
    await incidentFor('shop', 'meshed', 'inc-init', (v) => ({ ...v, container: 'mesh', containerType: 'init' }));
    expect(await raise('inc-init', 'U0ALICE')).toMatchObject({ status: 'patched', container: 'mesh', before: '512Mi', after: '640Mi' });
    const spec = (await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'meshed', namespace: 'shop' })).spec!.template.spec!;
    expect(spec.initContainers![0]!.resources!.limits!['memory']).toBe('640Mi');
    expect(spec.containers[0]!.resources!.limits!['memory']).toBe('512Mi');
  });
});

describe('raiseLimit, for a pod-level limit (KEP-2837)', () => {
  // kube-apiserver 1.35 serves pod-level resources (PodLevelResources: beta, on by default since 1.34): the template
  // keeps spec.resources, and that is the field that bounds containers without limits of their own.
  const podLevel = (namespace: string, name: string, extra: Partial<Pod> = {}): Pod => {
    const p = pod({ namespace, deployment: name, containers: [container({ name: 'api', request: '1Gi' }), { ...container({ name: 'envoy' }), resources: {} }], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)] });
    return { ...p, ...extra, spec: { ...p.spec, resources: { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } } } };
  };

  it('raises spec.template.spec.resources.limits.memory, leaving every container and the pod-level request alone', async () => {
    await cluster.admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: 'shop',
      body: {
        metadata: { name: 'pooled' },
        spec: {
          selector: { matchLabels: { app: 'pooled' } },
          template: {
            metadata: { labels: { app: 'pooled' } },
            spec: { resources: { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } }, containers: [{ name: 'api', image: 'api:1', resources: { requests: { memory: '1Gi' } } }, { name: 'envoy', image: 'envoy:1' }] },
          },
        },
      } as V1Deployment,
    });
    const verdict = diagnose({ pod: podLevel('shop', 'pooled'), node: node(), events: [] });
    expect(verdict).toMatchObject({ kind: 'pod-limit', recommendation: { memoryLimit: '3840Mi' } });
    await store.recordIncident({ incidentId: 'inc-pooled', occurrenceId: 'term-pooled', cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/pooled', container: 'api', cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: T0, message: { channel: 'C1', ts: '1.4' }, verdict });

    expect(await raise('inc-pooled', 'U0ALICE')).toEqual({ status: 'patched', target: 'shop/Deployment/pooled', container: 'api', field: 'pod-limit', before: '3Gi', after: '3840Mi', how: 'workload', next: 'Its pods roll out with the new value now.' });
    const spec = (await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'pooled', namespace: 'shop' })).spec!.template.spec!;
    expect(spec.resources).toEqual({ limits: { memory: '3840Mi' }, requests: { memory: '2Gi' } });
    expect(spec.containers.map((c) => c.resources)).toEqual([{ requests: { memory: '1Gi' } }, {}]);
    expect(await store.auditTrail('inc-pooled')).toContainEqual(expect.objectContaining({ action: 'raise-memory-pod-limit', before: '3Gi', after: '3840Mi' }));
    // A second click finds it raised, and says which limit.
    expect(await raise('inc-pooled', 'U0ALICE')).toEqual({ status: 'refused', reason: 'The pod-level limit is already 3840Mi (someone raised it): nothing was changed.', audience: 'thread' });
  });

  it('refuses a bare pod with pod-level resources: this API server cannot resize it in place, and nothing changes', async () => {
    // A kubelet with in-place resize (its container statuses carry resources), so only the pod-level gate refuses.
    const running = { ...restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1), resources: { requests: { memory: '1Gi' } } };
    const bare = { ...podLevel('shop', 'x'), metadata: { name: 'pooled-solo', namespace: 'shop', uid: '5d1c0b7e-8a2f-4c3e-9b6d-1f0e2d3c4b5a' } } as Pod;
    bare.status = { ...bare.status, containerStatuses: [running, { name: 'envoy', ready: true, restartCount: 0, state: { running: { startedAt: T0 } }, resources: {} }] } as Pod['status'];
    const { status, ...spec } = bare;
    const created = await createPodAsKubelet(cluster.admin, spec as unknown as V1Pod, status as never);
    const verdict = diagnose({ pod: bare, node: node(), events: [] });
    expect(verdict.kind).toBe('pod-limit');
    expect(verdict.workload).toBeUndefined();
    await store.recordIncident({ incidentId: 'inc-pooled-solo', occurrenceId: 'term-pooled-solo', cluster: 'prod-eu', namespace: 'shop', workload: 'Pod/pooled-solo', container: 'api', cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: T0, message: { channel: 'C1', ts: '1.5' }, verdict });
    expect(await raise('inc-pooled-solo', 'U0ALICE')).toEqual({
      status: 'refused',
      reason: "Pod/pooled-solo has pod-level resources, and this API server cannot resize such a pod in place (the InPlacePodLevelResourcesVerticalScaling feature gate is off; alpha since Kubernetes 1.35): change the pod's manifest and recreate it. Nothing was changed.",
      audience: 'thread',
    });
    const live = await cluster.admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'pooled-solo', namespace: 'shop' });
    expect(live.metadata!.resourceVersion).toBe(created.metadata!.resourceVersion);
    expect(live.spec!.resources).toEqual({ limits: { memory: '3Gi' }, requests: { memory: '2Gi' } });
  });
});

describe('raiseLimit, for an injected sidecar', () => {
  it("refuses, pointing at the injector's annotation, and changes nothing (the injector would overwrite it)", async () => {
    await deployment('shop', 'meshed-istio');
    await incidentFor('shop', 'meshed-istio', 'inc-istio', (v) => ({ ...v, kind: 'injected-sidecar', container: 'istio-proxy' }));
    expect(await refusedUnchanged('inc-istio', 'U0ALICE', 'shop', 'meshed-istio')).toEqual({
      status: 'refused',
      reason: "istio-proxy is injected by a webhook that sets its resources in every new pod: a change to the workload's template would not stick. Use the injector's annotation named in the alert: nothing was changed.",
      audience: 'thread',
    });
  });
});
