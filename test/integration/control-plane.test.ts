import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {
  ApiException,
  AuthenticationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1UserInfo,
} from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import { controlPlaneBinaries } from '../../sandbox/binaries.ts';
import { startControlPlane } from '../../sandbox/control-plane.ts';
import { ControlPlaneError } from '../../sandbox/errors.ts';
import { createEvent, createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const k8s = useControlPlane();

/** The HTTP status an API call failed with, or 200 if it succeeded. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

/**
 * RBAC decisions follow RoleBindings through the apiserver's informers, a few milliseconds behind the write (seconds
 * on a loaded machine); the timeout only ends a hang.
 */
async function eventually(assertion: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Who the apiserver thinks `kc` is, asked over plain node:https with the options KubeConfig applies. */
function whoAmIOverHttps(kc: KubeConfig, opts: https.RequestOptions): Promise<V1UserInfo> {
  const url = new URL('/apis/authentication.k8s.io/v1/selfsubjectreviews', kc.getCurrentCluster()?.server);
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...opts, method: 'POST' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        if (res.statusCode !== 201) reject(new Error(`HTTP ${res.statusCode}: ${text}`));
        else resolve((JSON.parse(text) as { status: { userInfo: V1UserInfo } }).status.userInfo);
      });
    });
    req.setHeader('Content-Type', 'application/json');
    req.on('error', reject);
    req.end(body);
  });
}

describe('the local control plane', () => {
  it('stores a pod status written through the status subresource, as a kubelet writes it', async () => {
    await createNamespace(k8s.admin, 'oom');
    await createPodAsKubelet(
      k8s.admin,
      {
        metadata: { name: 'api-0', namespace: 'oom' },
        spec: {
          nodeName: 'node-a',
          containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '256Mi' } } }],
        },
      },
      {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'api',
            image: 'api:1',
            imageID: '',
            ready: false,
            restartCount: 1,
            state: {
              terminated: {
                exitCode: 137,
                reason: 'OOMKilled',
                startedAt: new Date('2025-01-01T00:00:00Z'),
                finishedAt: new Date('2025-01-01T00:05:00Z'),
              },
            },
          },
        ],
      },
    );

    const read = await k8s.admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'api-0', namespace: 'oom' });
    const terminated = read.status?.containerStatuses?.[0]?.state?.terminated;
    expect(terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(read.status?.qosClass).toBe('Burstable'); // set by the apiserver on create, kept by the status write
  });

  it('stores node status and events written as a kubelet writes them', async () => {
    await createNode(k8s.admin, {
      metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } },
      status: {
        capacity: { memory: '8Gi', cpu: '2' },
        allocatable: { memory: '7Gi', cpu: '1900m' },
        conditions: [
          {
            type: 'MemoryPressure',
            status: 'True',
            reason: 'KubeletHasInsufficientMemory',
            message: 'kubelet has insufficient memory available',
            lastHeartbeatTime: new Date('2025-01-01T00:04:00Z'),
            lastTransitionTime: new Date('2025-01-01T00:04:00Z'),
          },
        ],
      },
    });
    await createNamespace(k8s.admin, 'events');
    await createEvent(k8s.admin, {
      metadata: {},
      involvedObject: { kind: 'Pod', namespace: 'events', name: 'worker-0', fieldPath: 'spec.containers{worker}' },
      reason: 'Killing',
      message: 'Stopping container worker',
      type: 'Normal',
      source: { component: 'kubelet', host: 'node-a' },
      count: 1,
      firstTimestamp: new Date('2025-01-01T00:05:00Z'),
      lastTimestamp: new Date('2025-01-01T00:05:00Z'),
    });

    const core = k8s.admin.makeApiClient(CoreV1Api);
    const node = await core.readNode({ name: 'node-a' });
    expect(node.status?.allocatable).toEqual({ memory: '7Gi', cpu: '1900m' });
    expect(node.status?.conditions?.map((c) => [c.type, c.status])).toEqual([['MemoryPressure', 'True']]);
    const events = await core.listNamespacedEvent({
      namespace: 'events',
      fieldSelector: 'involvedObject.name=worker-0',
    });
    expect(events.items.map((e) => [e.reason, e.metadata?.name?.startsWith('worker-0.')])).toEqual([['Killing', true]]);
  });

  it('forbids a ServiceAccount with no RoleBinding to list pods', async () => {
    await createNamespace(k8s.admin, 'lonely');
    const sa = k8s.controlPlane.kubeConfigAs({ serviceAccount: { namespace: 'lonely', name: 'reader' } });
    expect(await statusOf(sa.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'lonely' }))).toBe(403);
  });

  it('lets a ServiceAccount bound to `view` list pods in that namespace only, and never read secrets', async () => {
    await createNamespace(k8s.admin, 'team-a');
    await createNamespace(k8s.admin, 'team-b');
    await k8s.admin.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: 'team-a',
      body: { metadata: { name: 'db' }, stringData: { password: 'hunter2' } },
    });
    await k8s.admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: 'team-a',
      body: {
        metadata: { name: 'oombot-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', namespace: 'team-a', name: 'oombot' }],
      },
    });
    const core = k8s.controlPlane
      .kubeConfigAs({ serviceAccount: { namespace: 'team-a', name: 'oombot' } })
      .makeApiClient(CoreV1Api);

    await eventually(async () => expect(await statusOf(core.listNamespacedPod({ namespace: 'team-a' }))).toBe(200));
    expect(await statusOf(core.listNamespacedPod({ namespace: 'team-b' }))).toBe(403);
    expect(await statusOf(core.readNamespacedSecret({ namespace: 'team-a', name: 'db' }))).toBe(403);
  });

  it('impersonates a ServiceAccount with the user and groups its token would authenticate as', async () => {
    const sa = k8s.controlPlane.kubeConfigAs({ serviceAccount: { namespace: 'team-a', name: 'oombot' } });
    const review = await sa.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo).toEqual({
      username: 'system:serviceaccount:team-a:oombot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
    });
  });

  it('sends every impersonated group as its own group through API clients, node:https and fetch options', async () => {
    const kc = k8s.controlPlane.kubeConfigAs({ user: 'alice', groups: ['oncall', 'sre', 'devs'] });
    const expected = { username: 'alice', groups: ['oncall', 'sre', 'devs', 'system:authenticated'] };

    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo).toEqual(expected);

    const httpsOpts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(httpsOpts);
    expect(await whoAmIOverHttps(kc, httpsOpts)).toEqual(expected);

    const fetchInit = await kc.applyToFetchOptions({});
    // node-fetch's Headers; raw() gives each name's values as the array node:https sends as repeated lines.
    const raw = (fetchInit.headers as unknown as { raw(): Record<string, string[]> }).raw();
    expect(await whoAmIOverHttps(kc, { agent: fetchInit.agent as https.Agent, headers: raw })).toEqual(expected);
  });

  it('writes an admin kubeconfig readable only by its owner, that a fresh KubeConfig can use', async () => {
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'oombot-kc-')), 'nested', 'kubeconfig');
    await k8s.controlPlane.writeKubeconfig(file);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);

    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((ns) => ns.metadata?.name)).toContain('default');
    await fs.rm(path.dirname(path.dirname(file)), { recursive: true });
  });

  it('stop() ends etcd and kube-apiserver and removes the temporary folder', async () => {
    const exitListeners = process.listenerCount('exit');
    const cp = await startControlPlane();
    const { etcd, apiserver } = cp.pids;
    expect(() => process.kill(apiserver, 0)).not.toThrow();

    await cp.stop();

    for (const pid of [etcd, apiserver]) {
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    }
    await expect(fs.access(cp.dir)).rejects.toThrow();
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });
});

describe('binaries and start failures', () => {
  it('names the missing binary when KUBEBUILDER_ASSETS is incomplete', async () => {
    const assets = await fs.mkdtemp(path.join(os.tmpdir(), 'oombot-assets-'));
    await fs.writeFile(path.join(assets, 'etcd'), '#!/bin/sh\n', { mode: 0o755 });
    vi.stubEnv('KUBEBUILDER_ASSETS', assets);
    try {
      const error = await controlPlaneBinaries().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ControlPlaneError);
      expect(error).toMatchObject({ code: 'KUBEBUILDER_ASSETS_INCOMPLETE' });
      expect((error as Error).message).toContain(path.join(assets, 'kube-apiserver'));
    } finally {
      vi.unstubAllEnvs();
      await fs.rm(assets, { recursive: true });
    }
  });

  it('reports a process that dies at start with the last lines of its log', async () => {
    const assets = await fs.mkdtemp(path.join(os.tmpdir(), 'oombot-assets-'));
    await fs.writeFile(path.join(assets, 'etcd'), '#!/bin/sh\necho "etcd: bad flag --nope" >&2\nexit 3\n', {
      mode: 0o755,
    });
    await fs.writeFile(path.join(assets, 'kube-apiserver'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    vi.stubEnv('KUBEBUILDER_ASSETS', assets);
    try {
      const error = await startControlPlane().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ControlPlaneError);
      const { code, message, logFile, output } = error as ControlPlaneError;
      expect(code).toBe('CONTROL_PLANE_START_FAILED');
      expect(message).toMatch(/^etcd exited \(exit code 3\) while waiting for .*: read \S+etcd\.log for the cause$/);
      expect(output).toEqual(['etcd: bad flag --nope']);
      expect(await fs.readFile(logFile as string, 'utf8')).toBe('etcd: bad flag --nope\n');
      await fs.rm(path.dirname(logFile as string), { recursive: true });
    } finally {
      vi.unstubAllEnvs();
      await fs.rm(assets, { recursive: true });
    }
  });
});
