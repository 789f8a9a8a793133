// Registering the local metrics server (sandbox/metrics-server.ts) with the kube-apiserver's aggregation layer, as
// metrics-server's manifests do: a Service `kube-system/metrics-server`, the APIService `v1beta1.metrics.k8s.io` on it,
// and the ClusterRole that lets `view`, `edit` and `admin` read metrics.
//
// Routing. The aggregator reaches an APIService's Service through its service resolver. With
// --enable-aggregator-routing it picks an address from the Service's EndpointSlices, but endpoint addresses may not be
// loopback (core/v1 validation), and nothing else here listens on another address. Without the flag — as the local
// control plane runs — it dials the Service's cluster IP, which needs kube-proxy, which does not run here; except for a
// Service of type ExternalName, which resolves to `externalName:<APIService port>` (k8s.io/apiserver
// pkg/util/proxy ResolveCluster). So the Service is an ExternalName for 127.0.0.1 (a valid DNS-1123 subdomain, which is
// all validation asks of an externalName), and the APIService's port is the server's. The availability check
// (kube-aggregator remote_available_controller.go) only probes such a Service's discovery document, where for a
// cluster IP Service it would also want ready endpoints.
import { apiRequest, type ApiTarget } from './api-request.ts';
import type { ControlPlane } from './control-plane.ts';
import { GROUP, VERSION } from './metrics-api.ts';

const API_SERVICE = `${VERSION}.${GROUP}`;
const SERVICE = { namespace: 'kube-system', name: 'metrics-server' };
const READER_ROLE = 'system:aggregated-metrics-reader';
const availableMs = 30_000;

export async function registerMetricsApi(cp: ControlPlane, api: ApiTarget, server: { port: number; caPem: string }): Promise<void> {
  await apply(api, `/api/v1/namespaces/${SERVICE.namespace}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...SERVICE, labels: { 'k8s-app': 'metrics-server' } },
    spec: { type: 'ExternalName', externalName: '127.0.0.1' },
  });
  // metrics-server's manifests aggregate read access to its API into view, edit and admin.
  await apply(api, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: READER_ROLE,
      labels: {
        'rbac.authorization.k8s.io/aggregate-to-view': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
      },
    },
    rules: [{ apiGroups: [GROUP], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
  });
  await cp.aggregateClusterRoles();
  await apply(api, '/apis/apiregistration.k8s.io/v1/apiservices', {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: API_SERVICE, labels: { 'k8s-app': 'metrics-server' } },
    spec: {
      group: GROUP,
      version: VERSION,
      service: { ...SERVICE, port: server.port },
      // The serving certificate is verified, not skipped as metrics-server's default manifest does.
      caBundle: Buffer.from(server.caPem).toString('base64'),
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  });
  await waitUntilServed(api);
}

/** Removes what registerMetricsApi made; `view`, `edit` and `admin` lose the metrics rules again. */
export async function unregisterMetricsApi(cp: ControlPlane, api: ApiTarget): Promise<void> {
  await remove(api, `/apis/apiregistration.k8s.io/v1/apiservices/${API_SERVICE}`);
  await remove(api, `/api/v1/namespaces/${SERVICE.namespace}/services/${SERVICE.name}`);
  await remove(api, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent(READER_ROLE)}`);
  await cp.aggregateClusterRoles();
}

/**
 * Available is the aggregator's verdict after probing the discovery document; the proxy itself starts forwarding
 * once it has seen that status (kube-aggregator apiservice_controller.go), so wait for a request through it to answer.
 */
async function waitUntilServed(api: ApiTarget): Promise<void> {
  const deadline = Date.now() + availableMs;
  for (;;) {
    const res = await apiRequest(api, 'GET', `/apis/apiregistration.k8s.io/v1/apiservices/${API_SERVICE}`);
    const conditions = res.status === 200 ? ((JSON.parse(res.body) as ApiServiceStatus).status?.conditions ?? []) : [];
    const available = conditions.find((c) => c.type === 'Available');
    const last = available ? `${available.status} (${available.reason ?? ''}: ${available.message ?? ''})` : `HTTP ${res.status}`;
    if (available?.status === 'True' && (await apiRequest(api, 'GET', `/apis/${GROUP}/${VERSION}`)).status === 200) return;
    if (Date.now() > deadline) {
      throw new Error(`the APIService ${API_SERVICE} did not become Available within ${availableMs / 1000} s: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ApiServiceStatus {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Creates the object, or replaces the one of that name. */
async function apply(api: ApiTarget, collection: string, object: KubeObject): Promise<void> {
  const item = `${collection}/${encodeURIComponent(object.metadata.name)}`;
  const current = await apiRequest(api, 'GET', item);
  const res =
    current.status === 404
      ? await apiRequest(api, 'POST', collection, object)
      : await apiRequest(api, 'PUT', item, {
          ...object,
          metadata: { ...object.metadata, resourceVersion: (JSON.parse(current.body) as ResourceVersioned).metadata.resourceVersion },
        });
  if (res.status !== 200 && res.status !== 201) throw new Error(`writing ${item}: HTTP ${res.status} ${res.body}`);
}

interface KubeObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface ResourceVersioned {
  metadata: { resourceVersion: string };
}

async function remove(api: ApiTarget, item: string): Promise<void> {
  const res = await apiRequest(api, 'DELETE', item);
  if (res.status !== 200 && res.status !== 202 && res.status !== 404) throw new Error(`deleting ${item}: HTTP ${res.status} ${res.body}`);
}
