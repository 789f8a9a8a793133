// The forwarder's Helm chart: it renders, its objects apply to a real API server, and its ServiceAccount may do what
// the forwarder needs and nothing more — checked by impersonation and by running the forwarder with its token. Its
// monitoring objects (metrics Service, ServiceMonitor, PrometheusRule, dashboard) apply too, the Service selects the
// forwarder's pods, and the alerts and the dashboard ask only for series the running forwarder's /metrics serves. The
// values' checks, which need no cluster, are forwarder-chart-values.test.ts's.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AuthorizationV1Api, CoreV1Api, KubernetesObjectApi, type KubernetesObject, type V1Node, type V1PodSpec } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../sandbox/helm.ts';
import { parsePromql, promqlCheckBinary } from '../../sandbox/promql.ts';
import { startForwarder, type ForwarderProcess } from '../support/forwarder-process.ts';
import { useMetricsServer } from '../support/metrics-server.ts';
import { node } from '../support/k8s-factories.ts';
import { installPrometheusOperatorCrds } from '../support/prometheus-operator-crds.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const run = promisify(execFile);
const chart = path.join(import.meta.dirname, '../../infra/helm/oombot-forwarder');
const cluster = useControlPlane();
// metrics.k8s.io through the aggregation layer, so that the RBAC checked is the one a cluster applies to it.
useMetricsServer(cluster);
let helm: string;
let promqlCheck: string;
let objects: KubernetesObject[];
let forwarder: ForwarderProcess | undefined;

beforeAll(async () => {
  helm = await helmBinary((line) => process.stderr.write(`${line}\n`));
  promqlCheck = await promqlCheckBinary((line) => process.stderr.write(`${line}\n`));
  const { stdout } = await run(helm, ['template', 'oombot-forwarder', chart, '--namespace', 'oombot', '--set', 'cluster=prod-eu', '--set', 'region=eu-west-1', '--set', 'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::123456789012:role/oombot-forwarder']);
  objects = parseAllDocuments(stdout).map((d) => d.toJS() as KubernetesObject).filter(Boolean);
  await createNamespace(cluster.admin, 'oombot');
  await createNamespace(cluster.admin, 'shop');
});
afterAll(async () => {
  await forwarder?.stop('SIGKILL');
});

describe('the oombot-forwarder chart', () => {
  it('renders the objects a cluster needs, hardened', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual([
      'ClusterRole/oombot-forwarder',
      'ClusterRoleBinding/oombot-forwarder',
      'Deployment/oombot-forwarder',
      'PodDisruptionBudget/oombot-forwarder',
      'Role/oombot-forwarder-lease',
      'RoleBinding/oombot-forwarder-lease',
      'Service/oombot-forwarder-metrics',
      'ServiceAccount/oombot-forwarder',
    ]);
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { replicas: number; template: { spec: { containers: { env: { name: string; value?: string }[]; securityContext: object }[]; securityContext: object } } } };
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.containers[0]!.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0]!.env).toEqual(expect.arrayContaining([{ name: 'OOMBOT_CLUSTER', value: 'prod-eu' }, { name: 'AWS_REGION', value: 'eu-west-1' }, { name: 'OOMBOT_LEASE_NAME', value: 'oombot-forwarder' }]));
    expect(pod.containers[0]!.env).toEqual(expect.arrayContaining([{ name: 'OOMBOT_MEMORY_SAMPLING', value: 'true' }, { name: 'OOMBOT_MEMORY_INTERVAL', value: '30s' }, { name: 'OOMBOT_MEMORY_WINDOW', value: '30m' }, { name: 'OOMBOT_WARN_HORIZON', value: '15m' }]));
    expect(objects.find((o) => o.kind === 'ServiceAccount')?.metadata?.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/oombot-forwarder' });
  });

  it('grants pod metrics only while memory sampling is on', async () => {
    const rules = (objs: KubernetesObject[]) => (objs.find((o) => o.kind === 'ClusterRole') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }).rules;
    expect(rules(objects)).toContainEqual({ apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] });
    const { stdout } = await run(helm, ['template', 'x', chart, '--set', 'cluster=prod', '--set', 'sink=stdout', '--set', 'memorySampling.enabled=false']);
    const off = parseAllDocuments(stdout).map((d) => d.toJS() as KubernetesObject).filter(Boolean);
    expect(rules(off).flatMap((r) => r.apiGroups)).toEqual(['']);
  });

  it('refuses to render without the cluster name or, for EventBridge, the region', async () => {
    await expect(run(helm, ['template', 'x', chart])).rejects.toMatchObject({ stderr: expect.stringMatching(/cluster/) });
    await expect(run(helm, ['template', 'x', chart, '--set', 'cluster=prod'])).rejects.toMatchObject({ stderr: expect.stringMatching(/region/) });
    await expect(run(helm, ['template', 'x', chart, '--set', 'cluster=prod', '--set', 'sink=stdout'])).resolves.toBeTruthy();
  });

  it('applies to the API server, and its ServiceAccount can watch pods and events but not read Secrets or change anything', async () => {
    const client = KubernetesObjectApi.makeApiClient(cluster.admin);
    for (const o of objects) await client.create(o);
    const sa = cluster.controlPlane.kubeConfigAs({ serviceAccount: { namespace: 'oombot', name: 'oombot-forwarder' } });
    const can = async (verb: string, resource: string, namespace?: string, group = '', name?: string) => {
      const review = await sa.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { verb, resource, group, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) } } },
      });
      return review.status?.allowed ?? false;
    };
    const allowed = {
      'watch pods': await can('watch', 'pods'),
      'list events': await can('list', 'events'),
      'watch events': await can('watch', 'events'),
      'create its Lease': await can('create', 'leases', 'oombot', 'coordination.k8s.io'),
      'update its Lease': await can('update', 'leases', 'oombot', 'coordination.k8s.io', 'oombot-forwarder'),
      'list pod metrics': await can('list', 'pods', undefined, 'metrics.k8s.io'),
      'get pod metrics': await can('get', 'pods', 'shop', 'metrics.k8s.io'),
    };
    const forbidden = {
      'get secrets': await can('get', 'secrets', 'shop'),
      'list secrets': await can('list', 'secrets'),
      'patch pods': await can('patch', 'pods', 'shop'),
      'delete pods': await can('delete', 'pods', 'shop'),
      'patch deployments': await can('patch', 'deployments', 'shop', 'apps'),
      'get nodes': await can('get', 'nodes'),
      'update another Lease': await can('update', 'leases', 'oombot', 'coordination.k8s.io', 'someone-else'),
      'create a Lease elsewhere': await can('create', 'leases', 'shop', 'coordination.k8s.io'),
      'create events': await can('create', 'events', 'shop'),
      'list node metrics': await can('list', 'nodes', undefined, 'metrics.k8s.io'),
      'watch pod metrics': await can('watch', 'pods', undefined, 'metrics.k8s.io'),
    };
    expect(allowed).toEqual(Object.fromEntries(Object.keys(allowed).map((k) => [k, true])));
    expect(forbidden).toEqual(Object.fromEntries(Object.keys(forbidden).map((k) => [k, false])));
  });

  it('is enough for the forwarder itself: with the ServiceAccount’s own token it leads, watches, samples memory and forwards', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const token = await core.createNamespacedServiceAccountToken({ name: 'oombot-forwarder', namespace: 'oombot', body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const config = JSON.parse(cluster.controlPlane.kubeconfigYaml());
    for (const u of config.users) u.user = { token: token.status!.token };
    const dir = await mkdtemp(path.join(tmpdir(), 'oombot-chart-'));
    await writeFile(path.join(dir, 'kubeconfig'), JSON.stringify(config), { mode: 0o600 });
    forwarder = startForwarder({ KUBECONFIG: path.join(dir, 'kubeconfig'), OOMBOT_CLUSTER: 'prod-eu', OOMBOT_SINK: 'stdout', POD_NAMESPACE: 'oombot', OOMBOT_LEASE_NAME: 'oombot-forwarder', POD_NAME: 'oombot-forwarder-0' });
    await forwarder.waitForLog((l) => l['msg'] === 'forwarding');
    // Through the aggregation layer, which applies the chart's rule on pods.metrics.k8s.io.
    await forwarder.waitForLog((l) => l['msg'] === 'sampling memory from metrics.k8s.io');
    await createNode(cluster.admin, node() as unknown as V1Node);
    const created = await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'victim' }, spec: { nodeName: 'ip-10-0-12-7', containers: [{ name: 'app', image: 'app:1' }] } } });
    await core.replaceNamespacedPodStatus({
      name: 'victim',
      namespace: 'shop',
      body: { ...created, status: { ...created.status, containerStatuses: [{ name: 'app', image: 'app:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date() } } }] } },
    });
    const deadline = Date.now() + 15_000;
    while (!forwarder.stdout.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(forwarder.stdout).toHaveLength(1);
    expect(JSON.parse(forwarder.stdout[0]!)).toMatchObject({ source: 'oombot.forwarder', detailType: 'Container Memory Termination', detail: { cluster: 'prod-eu', container: 'app' } });
    expect(forwarder.logs.filter((l) => l['level'] !== 'info' && l['level'] !== 'raw')).toEqual([]);
  });

  it('asks, in its alerts and its dashboard, only for series the running forwarder’s /metrics serves', async () => {
    const port = forwarder!.logs.find((l) => l['msg'] === 'serving probes and metrics')?.['port'] as number;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // Each family's series: a histogram's are its _bucket, _sum and _count.
    const served = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    const { stdout } = await run(helm, ['template', 'oombot-forwarder', chart, '--namespace', 'oombot', '-f', path.join(chart, 'examples/monitoring.yaml')]);
    const rule = parseAllDocuments(stdout).map((d) => d.toJS() as KubernetesObject & { spec?: { groups: { rules: { alert: string; expr: string }[] }[] } }).find((o) => o?.kind === 'PrometheusRule')!;
    const dashboard = JSON.parse(await readFile(path.join(chart, 'dashboards/oombot-forwarder.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    // Grafana fills the dashboard's variables before Prometheus sees a query.
    const grafana = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', 'oombot').replaceAll('$service', '.*');
    const queries = [...rule.spec!.groups.flatMap((g) => g.rules.map((r) => ({ where: r.alert, expr: r.expr }))), ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: p.title, expr: grafana(t.expr) })))];
    // Parsed by Prometheus's own parser (sandbox/promql-check): each is valid PromQL and selects at least one series.
    const parsed = await parsePromql(promqlCheck, queries.map((q) => q.expr));
    expect(parsed.map((p) => p.expr)).toEqual(queries.map((q) => q.expr));
    expect(parsed.filter((p) => p.error !== undefined || !p.metrics.length)).toEqual([]);
    const asked = parsed.flatMap((p, i) => p.metrics.map((name) => ({ where: queries[i]!.where, name })));
    expect(asked.filter((a) => !served.has(a.name))).toEqual([]);
    // And the four the issue names are watched: a leader, the watches, deliveries, the queue.
    for (const name of ['oombot_forwarder_leader', 'oombot_watch_restarts_total', 'oombot_putevents_entries_total', 'oombot_delivery_queue_depth']) expect(asked.filter((a) => a.name === name && a.where.startsWith('Oombot')).length).toBeGreaterThan(0);
  });

  it('applies its monitoring objects where the Prometheus Operator’s CRDs are, and its metrics Service selects the forwarder’s pods and no other', async () => {
    await installPrometheusOperatorCrds(cluster.admin);
    const { stdout } = await run(helm, ['template', 'oombot-forwarder', chart, '--namespace', 'oombot', '-f', path.join(chart, 'examples/monitoring.yaml')]);
    const rendered = parseAllDocuments(stdout).map((d) => d.toJS() as KubernetesObject & { spec?: unknown }).filter(Boolean);
    const client = KubernetesObjectApi.makeApiClient(cluster.admin);
    for (const kind of ['ConfigMap', 'ServiceMonitor', 'PrometheusRule']) {
      const object = rendered.find((o) => o.kind === kind)!;
      await client.create(object);
      // Read back as stored: nothing pruned, so every field is one the CRD (or the API) knows, in its shape.
      const stored = (await client.read({ apiVersion: object.apiVersion!, kind, metadata: { name: object.metadata!.name!, namespace: 'oombot' } })) as KubernetesObject & { spec?: unknown; data?: unknown };
      expect(kind === 'ConfigMap' ? stored.data : stored.spec).toEqual(kind === 'ConfigMap' ? (object as { data?: unknown }).data : object.spec);
    }
    // The CRDs do check: a duration the operator does not read is refused.
    const rule = rendered.find((o) => o.kind === 'PrometheusRule') as KubernetesObject & { spec: { groups: { rules: { for: string }[] }[] } };
    const fractional = structuredClone(rule);
    fractional.metadata = { name: 'fractional', namespace: 'oombot' };
    fractional.spec.groups[0]!.rules[0]!.for = '1.5m';
    await expect(client.create(fractional)).rejects.toMatchObject({ code: 422 });

    // No controller runs here, so the pods are written as the Deployment's ReplicaSet would write them: its template.
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: V1PodSpec } } };
    const template = deployment.spec.template;
    await core.createNamespacedPod({ namespace: 'oombot', body: { metadata: { name: 'oombot-forwarder-7d9f-x2x4q', labels: template.metadata.labels, annotations: template.metadata.annotations }, spec: template.spec } });
    await core.createNamespacedPod({ namespace: 'oombot', body: { metadata: { name: 'another-release', labels: { ...template.metadata.labels, 'app.kubernetes.io/instance': 'another' } }, spec: template.spec } });
    const service = await core.readNamespacedService({ name: 'oombot-forwarder-metrics', namespace: 'oombot' });
    const selected = await core.listNamespacedPod({ namespace: 'oombot', labelSelector: Object.entries(service.spec!.selector!).map(([k, v]) => `${k}=${v}`).join(',') });
    expect(selected.items.map((p) => p.metadata!.name)).toEqual(['oombot-forwarder-7d9f-x2x4q']);
    // Its port reaches the container's by name, and the ServiceMonitor selects it by labels and scrapes that port.
    expect(service.spec!.ports).toEqual([expect.objectContaining({ name: 'metrics', port: 8080, targetPort: 'metrics' })]);
    const pod = selected.items[0]!;
    expect(pod.spec!.containers[0]!.ports).toEqual([expect.objectContaining({ name: 'metrics', containerPort: 8080 })]);
    const monitor = rendered.find((o) => o.kind === 'ServiceMonitor') as unknown as { spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string }[] } };
    const monitored = await core.listNamespacedService({ namespace: monitor.spec.namespaceSelector.matchNames[0]!, labelSelector: Object.entries(monitor.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',') });
    expect(monitored.items.map((s) => s.metadata!.name)).toEqual(['oombot-forwarder-metrics']);
    expect(monitor.spec.endpoints.map((e) => e.port)).toEqual(['metrics']);
  });
});
