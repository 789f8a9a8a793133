// metrics.k8s.io/v1beta1 served as a cluster serves it: the local metrics server (sandbox/metrics-server.ts) behind
// the APIService v1beta1.metrics.k8s.io, reached only through the real kube-apiserver's aggregation layer, which
// authenticates the caller, applies RBAC and proxies with its front-proxy certificate (docs/architecture.md, "How we
// test").
import https from 'node:https';
import { Metrics, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PodMetricsSchema, PodSchema } from '#shared/k8s-objects.ts';
import { enrichPod } from '../../kube/collect.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { startMetricsServer, type ServedRequest } from '../../sandbox/metrics-server.ts';
import { issueCert } from '../../sandbox/x509.ts';
import { kubeGet } from '../support/kube-get.ts';
import { useMetricsServer } from '../support/metrics-server.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const k8s = useControlPlane();
const served: ServedRequest[] = [];
const ms = useMetricsServer(k8s, { onRequest: (request) => served.push(request) });

const Mi = 2 ** 20;
const API = '/apis/metrics.k8s.io/v1beta1';
const T = Date.parse('2026-11-27T10:14:03Z');
const at = (seconds: number) => new Date(T + seconds * 1000);
const SECONDS_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

async function pod(namespace: string, name: string, containers: string[], o: { labels?: Record<string, string>; phase?: string } = {}) {
  await createPodAsKubelet(
    k8s.admin,
    {
      metadata: { name, namespace, ...(o.labels ? { labels: o.labels } : {}) },
      spec: { nodeName: 'node-a', containers: containers.map((c) => ({ name: c, image: `registry.example/${c}:1` })) },
    },
    { phase: o.phase ?? 'Running' },
  );
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

const names = (body: unknown) => (body as { items: { metadata: { namespace?: string; name: string } }[] }).items.map((i) => [i.metadata.namespace, i.metadata.name].filter(Boolean).join('/'));

beforeAll(async () => {
  await createNamespace(k8s.admin, 'shop');
  await createNamespace(k8s.admin, 'other');
  await createNode(k8s.admin, { metadata: { name: 'node-a', labels: { pool: 'general' } }, status: { capacity: { memory: '8Gi' } } });
  await createNode(k8s.admin, { metadata: { name: 'node-b' } });
  await pod('shop', 'api-0', ['api', 'envoy'], { labels: { app: 'api' } });
  await pod('shop', 'api-1', ['api'], { labels: { app: 'api' } }); // never sampled
  await pod('shop', 'worker-0', ['worker'], { labels: { app: 'worker' } });
  await pod('shop', 'batch-0', ['batch'], { phase: 'Succeeded' }); // sampled, but metrics-server lists only Running pods
  await pod('other', 'db-0', ['db']);
  const m = ms.metrics;
  m.setWorkingSet('shop', 'api-0', 'api', 300 * Mi, { at: at(0), cpuNanoCores: 250_000_000 });
  m.setWorkingSet('shop', 'api-0', 'envoy', 40 * Mi, { at: at(2), cpuNanoCores: 1_500_000 });
  m.setWorkingSet('shop', 'worker-0', 'worker', 1_234_567, { at: at(0) });
  m.setWorkingSet('shop', 'batch-0', 'batch', 10 * Mi, { at: at(0) });
  m.setWorkingSet('other', 'db-0', 'db', 2 * 2 ** 30, { at: at(0), cpuNanoCores: 2_000_000_000 });
  m.setWorkingSet('shop', 'ghost-0', 'ghost', 10 * Mi, { at: at(0) }); // a sample for a pod the API does not have
});

describe('metrics.k8s.io through the aggregation layer', () => {
  it('registers the APIService on an ExternalName Service with a verified CA bundle, and it is Available', async () => {
    const svc = await kubeGet(k8s.admin, '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
    const spec = (svc.body as { spec: Record<string, unknown> }).spec;
    expect(spec).toMatchObject({ group: 'metrics.k8s.io', version: 'v1beta1', service: { namespace: 'kube-system', name: 'metrics-server' } });
    expect(spec['insecureSkipTLSVerify']).toBeFalsy();
    expect(Buffer.from(String(spec['caBundle']), 'base64').toString()).toBe(ms.metrics.caPem);
    const conditions = (svc.body as { status: { conditions: { type: string; status: string; reason: string }[] } }).status.conditions;
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'Available', status: 'True', reason: 'Passed' }));
    // The aggregator's availability probe came with its front-proxy certificate, as system:kube-aggregator.
    expect(served).toContainEqual({ method: 'GET', path: API, user: 'system:kube-aggregator', groups: ['system:masters'], status: 200 });
  });

  it("serves metrics-server's discovery document, and the kube-apiserver's merged discovery lists pods and nodes", async () => {
    expect((await kubeGet(k8s.admin, API)).body).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'metrics.k8s.io/v1beta1',
      resources: [
        { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
        { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
      ],
    });
    const merged = await kubeGet(k8s.admin, '/apis', { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    const group = (merged.body as { items: { metadata: { name: string }; versions: { version: string; resources: { resource: string; scope: string }[] }[] }[] }).items.find(
      (g) => g.metadata.name === 'metrics.k8s.io',
    );
    expect(group?.versions.map((v) => [v.version, v.resources.map((r) => `${r.resource}:${r.scope}`)])).toEqual([
      ['v1beta1', ['nodes:Cluster', 'pods:Namespaced']],
    ]);
  });

  it("lists a namespace's pod metrics in metrics-server's shape, leaving out pods with no sample or not Running", async () => {
    const list = await kubeGet(k8s.admin, `${API}/namespaces/shop/pods`);
    expect(list).toEqual({
      status: 200,
      body: {
        kind: 'PodMetricsList',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {},
        items: [
          {
            metadata: { name: 'api-0', namespace: 'shop', creationTimestamp: expect.stringMatching(SECONDS_TIMESTAMP), labels: { app: 'api' } },
            timestamp: '2026-11-27T10:14:03Z', // the container sampled earliest
            window: '15s',
            containers: [
              { name: 'api', usage: { cpu: '250m', memory: '300Mi' } },
              { name: 'envoy', usage: { cpu: '1500u', memory: '40Mi' } },
            ],
          },
          {
            metadata: { name: 'worker-0', namespace: 'shop', creationTimestamp: expect.stringMatching(SECONDS_TIMESTAMP), labels: { app: 'worker' } },
            timestamp: '2026-11-27T10:14:03Z',
            window: '15s',
            containers: [{ name: 'worker', usage: { cpu: '0', memory: '1234567' } }],
          },
        ],
      },
    });
    // What oombot's reader of PodMetrics (kube/collect.ts) parses.
    expect(z.array(PodMetricsSchema).parse((list.body as { items: unknown[] }).items)).toHaveLength(2);
    // client-node's Metrics class, through a kubeconfig, reads the same.
    const viaClient = await new Metrics(k8s.admin).getPodMetrics('shop');
    expect(viaClient.items.map((p) => p.metadata.name)).toEqual(['api-0', 'worker-0']);
  });

  it('lists pod metrics across namespaces, by label and by the field selectors metrics-server accepts', async () => {
    expect(names((await kubeGet(k8s.admin, `${API}/pods`)).body)).toEqual(['other/db-0', 'shop/api-0', 'shop/worker-0']);
    expect(names((await kubeGet(k8s.admin, `${API}/pods?labelSelector=app%3Dapi`)).body)).toEqual(['shop/api-0']);
    expect(names((await kubeGet(k8s.admin, `${API}/pods?labelSelector=app%20notin%20(api)`)).body)).toEqual(['other/db-0', 'shop/worker-0']);
    expect(names((await kubeGet(k8s.admin, `${API}/pods?fieldSelector=metadata.namespace%3Dother`)).body)).toEqual(['other/db-0']);
    expect(await kubeGet(k8s.admin, `${API}/pods?fieldSelector=spec.nodeName%3Dnode-a`)).toMatchObject({
      status: 400,
      body: { reason: 'BadRequest', message: '"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"' },
    });
  });

  it('answers the whole list whatever the limit, with no continue token, as metrics-server does', async () => {
    const page = await kubeGet(k8s.admin, `${API}/pods?limit=1`);
    expect(names(page.body)).toEqual(['other/db-0', 'shop/api-0', 'shop/worker-0']);
    expect((page.body as { metadata: object }).metadata).toEqual({});
  });

  it('gets one pod; a pod without a sample, a pod not Running and a missing pod are NotFound as metrics-server says', async () => {
    const one = await kubeGet(k8s.admin, `${API}/namespaces/other/pods/db-0`);
    expect(one).toEqual({
      status: 200,
      body: {
        kind: 'PodMetrics',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: { name: 'db-0', namespace: 'other', creationTimestamp: expect.stringMatching(SECONDS_TIMESTAMP) },
        timestamp: '2026-11-27T10:14:03Z',
        window: '15s',
        containers: [{ name: 'db', usage: { cpu: '2', memory: '2Gi' } }],
      },
    });
    expect(await kubeGet(k8s.admin, `${API}/namespaces/shop/pods/api-1`)).toMatchObject({
      status: 404,
      body: { reason: 'NotFound', message: 'podmetrics.metrics.k8s.io "shop/api-1" not found' },
    });
    for (const name of ['batch-0', 'ghost-0']) {
      expect(await kubeGet(k8s.admin, `${API}/namespaces/shop/pods/${name}`)).toMatchObject({
        status: 404,
        body: { reason: 'NotFound', message: `pods "${name}" not found` },
      });
    }
  });

  it('enrichment says a Running pod with no sample yet is not sampled, not that the cluster does not serve metrics', async () => {
    const { body } = await kubeGet(k8s.admin, '/api/v1/namespaces/shop/pods/api-1');
    const input = await enrichPod(kubeConfigTransport(k8s.admin), PodSchema.parse(body));
    expect(input.unavailable).toContainEqual({ source: 'metrics', reason: 'absent' });
  });

  it('reports each new sample: the working set, when it was taken, and the window since the one before', async () => {
    const get = async () => (await kubeGet(k8s.admin, `${API}/namespaces/shop/pods/worker-0`)).body as Record<string, unknown>;
    ms.metrics.setWorkingSet('shop', 'worker-0', 'worker', 310 * Mi, { at: at(30) });
    expect(await get()).toMatchObject({ timestamp: '2026-11-27T10:14:33Z', window: '30s', containers: [{ name: 'worker', usage: { memory: '310Mi' } }] });
    ms.metrics.setWorkingSet('shop', 'worker-0', 'worker', 340 * Mi + 512 * 1024, { at: at(45.5), cpuNanoCores: 1_051_783 });
    expect(await get()).toMatchObject({
      timestamp: '2026-11-27T10:14:48Z', // whole seconds, truncated, as metav1.Time marshals
      window: '15.5s',
      containers: [{ name: 'worker', usage: { cpu: '1051783n', memory: '348672Ki' } }],
    });
    ms.metrics.setWorkingSet('shop', 'worker-0', 'worker', 400 * Mi, { at: at(105.5) });
    expect(await get()).toMatchObject({ window: '1m0s', containers: [{ usage: { memory: '400Mi' } }] });
    ms.metrics.removePod('shop', 'worker-0');
    expect(await kubeGet(k8s.admin, `${API}/namespaces/shop/pods/worker-0`)).toMatchObject({ status: 404 });
  });

  it("serves a node's metrics; a node without a sample is NotFound", async () => {
    ms.metrics.setNodeUsage('node-a', 5 * 2 ** 30, { at: at(0), cpuNanoCores: 1_250_000_000 });
    const expected = {
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'node-a', creationTimestamp: expect.stringMatching(SECONDS_TIMESTAMP), labels: { pool: 'general' } },
      timestamp: '2026-11-27T10:14:03Z',
      window: '15s',
      usage: { cpu: '1250m', memory: '5Gi' },
    };
    expect(await kubeGet(k8s.admin, `${API}/nodes/node-a`)).toEqual({ status: 200, body: expected });
    const item = { metadata: expected.metadata, timestamp: expected.timestamp, window: expected.window, usage: expected.usage };
    expect((await kubeGet(k8s.admin, `${API}/nodes`)).body).toEqual({ kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [item] });
    expect((await new Metrics(k8s.admin).getNodeMetrics()).items.map((n) => n.usage)).toEqual([{ cpu: '1250m', memory: '5Gi' }]);
    expect(await kubeGet(k8s.admin, `${API}/nodes/node-b`)).toMatchObject({
      status: 404,
      body: { message: 'nodemetrics.metrics.k8s.io "node-b" not found' },
    });
  });
});

describe('who may read metrics', () => {
  beforeAll(async () => {
    const rbac = k8s.admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: 'shop',
      body: {
        metadata: { name: 'pod-metrics-reader' },
        rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'shop',
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-metrics-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'reader' }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'other',
      body: {
        metadata: { name: 'viewer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }],
      },
    });
  });

  it('refuses a user without get/list on pods.metrics.k8s.io with 403, before the request reaches the metrics server', async () => {
    const before = served.length;
    const stranger = k8s.controlPlane.kubeConfigAs({ user: 'stranger' });
    expect(await kubeGet(stranger, `${API}/namespaces/shop/pods`)).toMatchObject({
      status: 403,
      body: {
        reason: 'Forbidden',
        message: 'pods.metrics.k8s.io is forbidden: User "stranger" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "shop"',
      },
    });
    expect(served.slice(before).filter((r) => r.user === 'stranger')).toEqual([]);
  });

  it("lets a user with get/list read the namespace's pod metrics, and proxies the request with that user's identity", async () => {
    const reader = k8s.controlPlane.kubeConfigAs({ user: 'reader', groups: ['oncall'] });
    await eventually(async () => {
      expect(names((await kubeGet(reader, `${API}/namespaces/shop/pods`)).body)).toEqual(['shop/api-0']);
    });
    expect(await kubeGet(reader, `${API}/namespaces/shop/pods/api-0`)).toMatchObject({ status: 200 });
    expect(await kubeGet(reader, `${API}/namespaces/other/pods`)).toMatchObject({ status: 403 });
    expect(await kubeGet(reader, `${API}/nodes`)).toMatchObject({ status: 403 });
    expect(served).toContainEqual({
      method: 'GET',
      path: `${API}/namespaces/shop/pods`,
      user: 'reader',
      groups: ['oncall', 'system:authenticated'],
      status: 200,
    });
  });

  it('grants `view` the metrics, as metrics-server aggregates its reader role into it', async () => {
    const viewer = k8s.controlPlane.kubeConfigAs({ user: 'viewer' });
    await eventually(async () => {
      expect(names((await kubeGet(viewer, `${API}/namespaces/other/pods`)).body)).toEqual(['other/db-0']);
    });
  });
});

describe('the metrics server itself', () => {
  /** A request straight to the metrics server, bypassing the kube-apiserver, as only the front proxy should make. */
  function direct(path: string, o: { cert?: { certPem: string; keyPem: string }; headers?: Record<string, string | string[]> } = {}) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(new URL(path, ms.metrics.url), {
        // The serving certificate is checked as the aggregator checks it: the Service's name, the APIService's CA.
        ca: ms.metrics.caPem,
        servername: 'metrics-server.kube-system.svc',
        ...(o.cert ? { cert: o.cert.certPem, key: o.cert.keyPem } : {}),
        headers: o.headers ?? {},
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('believes X-Remote-User only from a client certificate signed by the front-proxy CA', async () => {
    const frontProxy = { certPem: k8s.controlPlane.frontProxy.clientCertPem, keyPem: k8s.controlPlane.frontProxy.clientKeyPem };
    const otherCa = issueCert({ commonName: 'front-proxy-ca', ca: true });
    const lookalike = issueCert({ commonName: 'front-proxy-client', usage: ['client'] }, otherCa);
    const asAdmin = { 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters' };
    expect((await direct(`${API}/namespaces/shop/pods`, { headers: asAdmin })).status).toBe(401);
    expect((await direct(`${API}/namespaces/shop/pods`, { cert: lookalike, headers: asAdmin })).status).toBe(401);
    expect((await direct(`${API}/namespaces/shop/pods`, { cert: frontProxy })).status).toBe(401); // no user named
    expect((await direct(`${API}/namespaces/shop/pods`, { cert: frontProxy, headers: asAdmin })).status).toBe(200);
    expect(await direct('/readyz')).toEqual({ status: 200, body: 'ok' });
  });

  it('asks the kube-apiserver whether the asserted user may, with a SubjectAccessReview', async () => {
    const frontProxy = { certPem: k8s.controlPlane.frontProxy.clientCertPem, keyPem: k8s.controlPlane.frontProxy.clientKeyPem };
    const stranger = await direct(`${API}/namespaces/shop/pods`, { cert: frontProxy, headers: { 'X-Remote-User': 'stranger' } });
    expect(stranger.status).toBe(403);
    expect(JSON.parse(stranger.body)).toMatchObject({
      reason: 'Forbidden',
      message: 'pods.metrics.k8s.io is forbidden: User "stranger" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "shop"',
    });
    const reader = await direct(`${API}/namespaces/shop/pods`, {
      cert: frontProxy,
      headers: { 'X-Remote-User': 'reader', 'X-Remote-Group': ['oncall', 'system:authenticated'] },
    });
    expect({ status: reader.status, names: names(JSON.parse(reader.body)) }).toEqual({ status: 200, names: ['shop/api-0'] });
  });
});

describe('stopping and starting again', () => {
  it('unregisters on stop, so the API is not served, and a new server with pagination answers pages', async () => {
    await ms.metrics.stop();
    expect(await kubeGet(k8s.admin, `${API}/namespaces/shop/pods`)).toMatchObject({ status: 404 });
    const view = await kubeGet(k8s.admin, '/apis/rbac.authorization.k8s.io/v1/clusterroles/view');
    expect(JSON.stringify(view.body)).not.toContain('metrics.k8s.io');

    const paging = await startMetricsServer(k8s.controlPlane, { paginate: true });
    try {
      paging.setWorkingSet('shop', 'api-0', 'api', 300 * Mi);
      paging.setWorkingSet('other', 'db-0', 'db', 2 * 2 ** 30);
      const first = await kubeGet(k8s.admin, `${API}/pods?limit=1`);
      const token = (first.body as { metadata: { continue?: string } }).metadata.continue;
      expect({ names: names(first.body), more: typeof token }).toEqual({ names: ['other/db-0'], more: 'string' });
      const second = await kubeGet(k8s.admin, `${API}/pods?limit=1&continue=${encodeURIComponent(String(token))}`);
      expect({ names: names(second.body), metadata: (second.body as { metadata: object }).metadata }).toEqual({ names: ['shop/api-0'], metadata: {} });
    } finally {
      await paging.stop();
    }
  });
});
