// kubectl's conventions on `oombot explain` and `kubectl oom why`, against a real kube-apiserver: which kubeconfig
// (--kubeconfig > KUBECONFIG's files, merged > ~/.kube/config), which context (--context > current-context), which
// namespace (-n > the context's > default), what is said when there is none, and a pod found by name across namespaces.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, RbacAuthorizationV1Api, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { runCli } from '../support/run-cli.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
const root = path.join(import.meta.dirname, '../..');
const POD = 'checkout-7d9f8b6c5-m4tzr';
const FIRST_LINE = 'LIMIT  checkout › api was OOMKilled at its 512Mi memory limit';
let dir: string;
/** Contexts `prod` (this API server, namespace shop) and `staging` (a closed port), current `staging`. */
let twoContexts: string;

interface KubeconfigContext {
  name: string;
  server?: string;
  namespace?: string;
  token?: string;
}

/** A kubeconfig of the given contexts, each with a cluster and user of its own name; `server` defaults to this API server. */
async function writeKubeconfig(file: string, contexts: KubeconfigContext[], current?: string): Promise<string> {
  const admin = JSON.parse(cluster.controlPlane.kubeconfigYaml());
  const ca = admin.clusters[0].cluster['certificate-authority-data'];
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((c) => ({ name: c.name, cluster: { server: c.server ?? cluster.controlPlane.url, 'certificate-authority-data': ca } })),
    users: contexts.map((c) => ({ name: c.name, user: { token: c.token ?? cluster.controlPlane.adminToken } })),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
    ...(current ? { 'current-context': current } : {}),
  };
  const full = path.join(dir, file);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, JSON.stringify(config), { mode: 0o600 });
  return full;
}

/** The CLI as a process of its own, with exactly this environment (no KUBECONFIG unless given, no in-cluster variables). */
async function oombot(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [path.join(root, 'bin/oombot.js'), ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** In-process, with KUBECONFIG (and HOME) as given for the call only. */
async function explain(env: { KUBECONFIG?: string; HOME?: string }, ...args: string[]) {
  const saved = process.env;
  process.env = { ...saved, ...env };
  if (env.KUBECONFIG === undefined) delete process.env['KUBECONFIG'];
  try {
    return await runCli('explain', ...args);
  } finally {
    process.env = saved;
  }
}

async function createOomPod(namespace: string, name?: string): Promise<void> {
  const kc = cluster.admin;
  const { rsUid } = name ? { rsUid: undefined } : await createDeploymentChain(kc, namespace, 'checkout');
  const p = pod({
    ...(name ? { name } : { deployment: 'checkout', rsUid }),
    namespace,
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(0) }, 4)],
  });
  const { status, ...spec } = p;
  await createPodAsKubelet(kc, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as V1Pod['status'] & object);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oombot-kubeconfig-'));
  const kc = cluster.admin;
  for (const ns of ['shop', 'team-a', 'team-b']) await createNamespace(kc, ns);
  await createNode(kc, node() as unknown as V1Node);
  await createOomPod('shop');
  // One pod name in two namespaces: which one is meant cannot be guessed.
  await createOomPod('team-a', 'cart-0');
  await createOomPod('team-b', 'cart-0');
  twoContexts = await writeKubeconfig('two-contexts.kubeconfig', [{ name: 'prod', namespace: 'shop' }, { name: 'staging', server: 'https://127.0.0.1:1' }], 'staging');

  // A ServiceAccount that may read pods in default and shop, but not list them across namespaces.
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'narrow' } } });
  await rbac.createClusterRole({ body: { metadata: { name: 'narrow-pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list'] }] } });
  for (const namespace of ['default', 'shop']) {
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: { metadata: { name: 'narrow' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'narrow-pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'narrow', namespace: 'default' }] },
    });
  }
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('which kubeconfig and context, as kubectl chooses them', () => {
  it('with no kubeconfig anywhere: exit 4 and one line saying where it looked and what to set', async () => {
    const home = await mkdtemp(path.join(dir, 'home-'));
    const { code, stdout, stderr } = await oombot(['explain', POD], { HOME: home });
    expect(code).toBe(4);
    expect(stdout).toBe('');
    expect(stderr).toBe(`oombot: no kubeconfig found (looked at: KUBECONFIG, not set; ${home}/.kube/config, no such file; in-cluster, not in a pod); set KUBECONFIG or pass --kubeconfig\n`);
  });

  it('with KUBECONFIG naming files that do not exist: the same, naming them', async () => {
    const home = await mkdtemp(path.join(dir, 'home-'));
    const { code, stderr } = await oombot(['explain', POD], { HOME: home, KUBECONFIG: `${home}/a:${home}/b` });
    expect(code).toBe(4);
    expect(stderr).toBe(`oombot: no kubeconfig found (looked at: KUBECONFIG=${home}/a:${home}/b, no such files; in-cluster, not in a pod); set KUBECONFIG or pass --kubeconfig\n`);
  });

  it('reads ~/.kube/config when KUBECONFIG is not set, and its context namespace', async () => {
    const home = await mkdtemp(path.join(dir, 'home-'));
    await writeKubeconfig(path.relative(dir, path.join(home, '.kube/config')), [{ name: 'prod', namespace: 'shop' }], 'prod');
    const { code, stdout, stderr } = await oombot(['explain', POD], { HOME: home });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')[0]).toBe(FIRST_LINE);
  });

  it('uses --context over the current-context, and the context’s namespace', async () => {
    // The current-context, staging, is a closed port: only prod answers.
    expect(await explain({ KUBECONFIG: twoContexts }, POD)).toMatchObject({ code: 4, stderr: 'oombot: cannot reach https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n' });
    const { code, stdout, stderr } = await explain({ KUBECONFIG: twoContexts }, POD, '--context', 'prod');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')[0]).toBe(FIRST_LINE);
  });

  it('an unknown context: exit 4, one line naming the contexts there are', async () => {
    expect(await explain({ KUBECONFIG: twoContexts }, POD, '--context', 'prd')).toEqual({ code: 4, stdout: '', stderr: `oombot: no context "prd" in the kubeconfig ${twoContexts}; contexts: prod, staging\n` });
  });

  it('-n beats the context’s namespace', async () => {
    const { code, stderr } = await explain({ KUBECONFIG: twoContexts }, POD, '--context', 'prod', '-n', 'team-a');
    expect(code).toBe(3);
    expect(stderr).toBe(`oombot: pod ${POD} not found in namespace team-a of prod (${cluster.controlPlane.url})\n`);
  });

  it('uses --kubeconfig over KUBECONFIG, that file alone', async () => {
    const closed = await writeKubeconfig('closed.kubeconfig', [{ name: 'prod', server: 'https://127.0.0.1:1', namespace: 'shop' }], 'prod');
    const good = await writeKubeconfig('good.kubeconfig', [{ name: 'prod', namespace: 'shop' }], 'prod');
    const { code, stdout } = await explain({ KUBECONFIG: closed }, POD, '--kubeconfig', good);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(FIRST_LINE);
    expect(await explain({ KUBECONFIG: good }, POD, '--kubeconfig', path.join(dir, 'absent.kubeconfig'))).toEqual({ code: 4, stdout: '', stderr: `oombot: the kubeconfig ${path.join(dir, 'absent.kubeconfig')} (--kubeconfig) does not exist\n` });
  });

  it('merges KUBECONFIG’s files as kubectl does: missing ones skipped, the first current-context and the first of each name win', async () => {
    const first = await writeKubeconfig('first.kubeconfig', [{ name: 'staging', server: 'https://127.0.0.1:1' }], 'staging');
    // It names staging again (reachable this time) and sets its own current-context: both lose to the first file's.
    const second = await writeKubeconfig('second.kubeconfig', [{ name: 'prod', namespace: 'shop' }, { name: 'staging', namespace: 'shop' }], 'prod');
    const list = [path.join(dir, 'missing.kubeconfig'), first, second].join(path.delimiter);
    expect(await explain({ KUBECONFIG: list }, POD)).toMatchObject({ code: 4, stderr: 'oombot: cannot reach https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n' });
    expect(await explain({ KUBECONFIG: list }, POD, '--context', 'staging')).toMatchObject({ code: 4, stderr: 'oombot: cannot reach https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n' });
    const { code, stdout } = await explain({ KUBECONFIG: list }, POD, '--context', 'prod');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(FIRST_LINE);
  });

  it('an invalid or unreadable kubeconfig: exit 4, naming the file and what is wrong', async () => {
    const bad = path.join(dir, 'bad.kubeconfig');
    await writeFile(bad, 'clusters: [');
    expect(await explain({}, POD, '--kubeconfig', bad)).toEqual({ code: 4, stdout: '', stderr: `oombot: the kubeconfig ${bad} is not valid: unexpected end of the stream within a flow collection (2:1)\n` });
    const noName = path.join(dir, 'no-name.kubeconfig');
    await writeFile(noName, 'contexts: [{context: {cluster: prod}}]\n');
    expect(await explain({ KUBECONFIG: noName }, POD)).toEqual({ code: 4, stdout: '', stderr: `oombot: the kubeconfig ${noName} is not valid: contexts[0].name is missing\n` });
    expect(await explain({}, POD, '--kubeconfig', dir)).toEqual({ code: 4, stdout: '', stderr: `oombot: cannot read the kubeconfig ${dir}: it is a directory\n` });
    const noCurrent = await writeKubeconfig('no-current.kubeconfig', [{ name: 'prod' }, { name: 'staging' }]);
    expect(await explain({}, POD, '--kubeconfig', noCurrent)).toEqual({ code: 4, stdout: '', stderr: `oombot: the kubeconfig ${noCurrent} sets no current-context; pass --context (contexts: prod, staging)\n` });
  });
});

describe('a pod given without its namespace', () => {
  let adminDefault: string;
  beforeAll(async () => {
    adminDefault = await writeKubeconfig('admin-default.kubeconfig', [{ name: 'prod' }], 'prod');
  });

  it('not in the context’s namespace but alone of its name in the cluster: explained, saying where it was found', async () => {
    const { code, stdout, stderr } = await explain({ KUBECONFIG: adminDefault }, POD);
    expect(code).toBe(0);
    expect(stderr).toBe(`oombot: pod ${POD} is not in namespace default; found in namespace shop\n`);
    expect(stdout.split('\n')[0]).toBe(FIRST_LINE);
  });

  it('with -A: looked for in every namespace at once', async () => {
    const { code, stdout, stderr } = await explain({ KUBECONFIG: adminDefault }, POD, '-A', '-o', 'json');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ cause: 'limit', pod: { namespace: 'shop', name: POD } });
  });

  it('in several namespaces: exit 2, one line listing them', async () => {
    expect(await explain({ KUBECONFIG: adminDefault }, 'cart-0')).toEqual({ code: 2, stdout: '', stderr: 'oombot: pod cart-0 is in 2 namespaces: team-a, team-b; add -n NAMESPACE\n' });
  });

  it('in none: exit 3, "in any namespace"', async () => {
    expect(await explain({ KUBECONFIG: adminDefault }, 'ghost-0')).toEqual({ code: 3, stdout: '', stderr: `oombot: pod ghost-0 not found in any namespace of prod (${cluster.controlPlane.url})\n` });
  });

  it('when the caller may not list pods across namespaces: not found where it looked, and a hint to add -n', async () => {
    const token = await cluster.admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: 'narrow', namespace: 'default', body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const narrow = await writeKubeconfig('narrow.kubeconfig', [{ name: 'prod', token: token.status!.token }], 'prod');
    const { code, stderr } = await explain({ KUBECONFIG: narrow }, POD);
    expect(code).toBe(3);
    expect(stderr).toMatch(new RegExp(`^oombot: pod ${POD} not found in namespace default of prod \\(https://127\\.0\\.0\\.1:\\d+\\), and you may not list pods across namespaces to look elsewhere \\(pods "${POD}" is forbidden: User "system:serviceaccount:default:narrow" cannot list resource "pods" in API group "" at the cluster scope\\); add -n NAMESPACE\\n$`));
    // Given its namespace, the same caller is answered.
    expect(await explain({ KUBECONFIG: narrow }, POD, '-n', 'shop')).toMatchObject({ code: 0 });
  });
});

describe('kubectl oom, with kubectl’s flags', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(path.join(dir, 'bin-'));
    await symlink(path.join(root, 'bin/oombot.js'), path.join(bin, 'kubectl-oom'));
  });
  const kubectl = (args: string[], env: Record<string, string>) =>
    promisify(execFile)('kubectl', args, { env: { PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`, ...env } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('takes --kubeconfig and --context after the pod, as kubectl users type them', async () => {
    const home = await mkdtemp(path.join(dir, 'home-'));
    const { code, stdout, stderr } = await kubectl(['oom', 'why', POD, '--kubeconfig', twoContexts, '--context', 'prod'], { HOME: home });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')[0]).toBe(FIRST_LINE);
  });

  it('finds a pod by name across namespaces, and lists the candidates when there are several', async () => {
    const home = await mkdtemp(path.join(dir, 'home-'));
    const adminDefault = await writeKubeconfig('plugin-default.kubeconfig', [{ name: 'prod' }], 'prod');
    const found = await kubectl(['oom', 'why', POD], { HOME: home, KUBECONFIG: adminDefault });
    expect(found.code).toBe(0);
    expect(found.stderr).toBe(`oombot: pod ${POD} is not in namespace default; found in namespace shop\n`);
    expect(await kubectl(['oom', 'why', 'cart-0'], { HOME: home, KUBECONFIG: adminDefault })).toMatchObject({ code: 2, stderr: 'oombot: pod cart-0 is in 2 namespaces: team-a, team-b; add -n NAMESPACE\n' });
  });
});
