// The forwarder chart's values, checked by helm itself with no cluster: `helm lint --strict` passes with the examples
// and fails on each bad value (unknown keys at any level, bad quantities and durations, values the forwarder refuses),
// and the chart never renders an environment that the forwarder's own configuration (forwarder/config.ts) refuses.
// Its objects on a real API server are forwarder-chart.test.ts's.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../sandbox/helm.ts';
import { loadConfig } from '../../forwarder/config.ts';

const run = promisify(execFile);
const chart = path.join(import.meta.dirname, '../../infra/helm/oombot-forwarder');
const minimal = path.join(chart, 'examples/minimal.yaml');
const monitoring = path.join(chart, 'examples/monitoring.yaml');
const DIGEST = `sha256:${'3'.repeat(64)}`;
let helm: string;

beforeAll(async () => {
  helm = await helmBinary((line) => process.stderr.write(`${line}\n`));
});

/** `--set` pairs as helm takes them; `--set-json` where the value is JSON (lists, objects). */
const flags = (set: Record<string, string>, json: Record<string, string> = {}) => [
  ...Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
  ...Object.entries(json).flatMap(([k, v]) => ['--set-json', `${k}=${v}`]),
];

async function lint(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(helm, ['lint', '--strict', chart, ...args]);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function render(args: string[], from = chart): Promise<KubernetesObject[]> {
  const { stdout } = await run(helm, ['template', 'oombot-forwarder', from, '--namespace', 'oombot', ...args]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as KubernetesObject).filter(Boolean);
}

type Deployment = KubernetesObject & { spec: { template: { metadata: { labels: Record<string, string> }; spec: { topologySpreadConstraints?: unknown[]; imagePullSecrets?: unknown[]; containers: { image: string; env: { name: string; value?: string }[] }[] } } } };
const deploymentOf = (objects: KubernetesObject[]) => objects.find((o) => o.kind === 'Deployment') as Deployment;
const names = (objects: KubernetesObject[]) => objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();

describe('helm lint --strict on the oombot-forwarder chart', () => {
  it.each([
    ['the minimal example (cluster and region)', [minimal]],
    ['the monitoring example (ServiceMonitor, PrometheusRule, dashboard, IRSA)', [monitoring]],
  ])('passes with %s', async (_, files) => {
    const result = await lint(files.flatMap((f) => ['-f', f]));
    expect(result.output).not.toMatch(/\[(ERROR|WARNING)\]/);
    expect(result.ok).toBe(true);
    // And with an image digest, as the README's push step sets it.
    expect((await lint([...files.flatMap((f) => ['-f', f]), '--set', `image.digest=${DIGEST}`])).ok).toBe(true);
  });

  it('fails with values.yaml alone, and says which values are required', async () => {
    const result = await lint([]);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("at '/cluster': minLength");
    expect(result.output).toContain("at '/region': minLength");
  });

  // Each bad value, what helm reports for it. The examples are otherwise valid, so each failure is this value's.
  it.each([
    ['an unknown top-level key (a typo of replicaCount)', { replicas: '3' }, {}, "at '': additional properties 'replicas' not allowed"],
    ['an unknown key in memorySampling', { 'memorySampling.intervall': '30s' }, {}, "at '/memorySampling': additional properties 'intervall' not allowed"],
    ['an unknown key in image', { 'image.tga': '0.1.0' }, {}, "at '/image': additional properties 'tga' not allowed"],
    ['an unknown key under metrics', { 'metrics.serviceMonitor.enable': 'true' }, {}, "at '/metrics/serviceMonitor': additional properties 'enable' not allowed"],
    ['an unknown resource name', { 'resources.limits.memroy': '128Mi' }, {}, "at '/resources/limits': additional properties 'memroy' not allowed"],
    ['a memory limit that is not a quantity', { 'resources.limits.memory': 'lots' }, {}, "at '/resources/limits/memory'"],
    ['a memory request with a unit Kubernetes does not know', { 'resources.requests.memory': '80MB' }, {}, "at '/resources/requests/memory'"],
    ['a CPU request that is not a quantity', { 'resources.requests.cpu': 'fast' }, {}, "at '/resources/requests/cpu'"],
    ['a Lease of 0s (a standby would retry eight times a second)', { leaseDuration: '0s' }, {}, "at '/leaseDuration'"],
    ['a Lease under 5s', { leaseDuration: '4999ms' }, {}, "at '/leaseDuration'"],
    ['a duration without a unit', { leaseDuration: '15' }, {}, "at '/leaseDuration'"],
    ['a Go duration of two units, which the forwarder does not parse', { leaseDuration: '1m30s' }, {}, "at '/leaseDuration'"],
    ['a watch idle timeout under two minutes', { watchIdleTimeout: '30s' }, {}, "at '/watchIdleTimeout'"],
    ['a sampling interval under 15s', { 'memorySampling.interval': '10s' }, {}, "at '/memorySampling/interval'"],
    ['a sampling interval of 14.9s', { 'memorySampling.interval': '14900ms' }, {}, "at '/memorySampling/interval'"],
    ['a sampling window over 12h', { 'memorySampling.window': '13h' }, {}, "at '/memorySampling/window'"],
    ['a sampling window of 721 minutes', { 'memorySampling.window': '721m' }, {}, "at '/memorySampling/window'"],
    ['a replay maximum in words', { replayMax: '1 hour' }, {}, "at '/replayMax'"],
    ['a sink the forwarder does not have', { sink: 'kafka' }, {}, "at '/sink': value must be one of 'eventbridge', 'stdout'"],
    ['the eventbridge sink without a region', { region: '' }, {}, "at '/region'"],
    ['an empty cluster name', { cluster: '' }, {}, "at '/cluster'"],
    ['a namespace that is not a DNS label', {}, { namespaces: '["Kube_System"]' }, "at '/namespaces/0'"],
    ['no replicas', { replicaCount: '0' }, {}, "at '/replicaCount'"],
    ['an image repository with upper case or a space', { 'image.repository': 'Ghcr.io/oombot/forwarder' }, {}, "at '/image/repository'"],
    ['an image digest that is not a sha256', { 'image.digest': 'sha256:abc' }, {}, "at '/image/digest'"],
    ['a pull policy Kubernetes does not have', { 'image.pullPolicy': 'Sometimes' }, {}, "at '/image/pullPolicy'"],
    ['a metrics port out of range', { metricsPort: '70000' }, {}, "at '/metricsPort'"],
    ['a spread that is neither ScheduleAnyway nor DoNotSchedule', {}, { topologySpreadConstraints: '[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"Maybe"}]' }, "at '/topologySpreadConstraints/0/whenUnsatisfiable'"],
    ['a queue threshold above the queue’s 1,000 entries', { 'metrics.prometheusRule.queueDepthThreshold': '5000' }, {}, "at '/metrics/prometheusRule/queueDepthThreshold'"],
    ['an alert selector that is not PromQL label matchers', { 'metrics.prometheusRule.selector': 'job=oombot' }, {}, "at '/metrics/prometheusRule/selector'"],
    ['an extra environment variable without a name', {}, { extraEnv: '[{"value":"x"}]' }, "at '/extraEnv/0'"],
  ])('fails on %s', async (_, set, json, message) => {
    const result = await lint(['-f', monitoring, ...flags(set, json)]);
    expect(result.ok).toBe(false);
    expect(result.output).toContain(message);
  });

  it.each([
    ['Leases of 5s, 5000ms and 2m', [{ leaseDuration: '5s' }, { leaseDuration: '5000ms' }, { leaseDuration: '2m' }]],
    ['sampling every 15s, 15000ms or 1m', [{ 'memorySampling.interval': '15s' }, { 'memorySampling.interval': '15000ms' }, { 'memorySampling.interval': '1m' }]],
    ['windows of 12h, 720m and 43200s', [{ 'memorySampling.window': '12h' }, { 'memorySampling.window': '720m' }, { 'memorySampling.window': '43200s' }]],
    ['quantities in every form Kubernetes writes', [{ 'resources.limits.memory': '0.5Gi' }, { 'resources.limits.memory': '134217728' }, { 'resources.requests.cpu': '0.25' }, { 'resources.requests.cpu': '1' }, { 'resources.requests.memory': '1e8' }]],
    ['the stdout sink without a region', [{ sink: 'stdout', region: '' }]],
    ['image repositories of ECR, a registry with a port, and a path with --', [{ 'image.repository': '123456789012.dkr.ecr.eu-west-1.amazonaws.com/oombot-forwarder' }, { 'image.repository': 'localhost:5000/platform/oombot--forwarder' }]],
  ] as [string, Record<string, string>[]][])('accepts %s', async (_, sets) => {
    for (const set of sets) expect({ set, ...(await lint(['-f', minimal, ...flags(set)])) }).toMatchObject({ set, ok: true });
  });
});

describe('the chart and the forwarder’s configuration agree', () => {
  /** The environment the chart gives the container, as the forwarder reads it (POD_* come from the downward API). */
  const environment = (objects: KubernetesObject[]) =>
    Object.fromEntries([...deploymentOf(objects).spec.template.spec.containers[0]!.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]), ['POD_NAMESPACE', 'oombot'], ['POD_NAME', 'oombot-forwarder-0']]);

  it.each([
    ['the defaults', {}],
    ['the smallest values the chart accepts', { leaseDuration: '5s', watchIdleTimeout: '2m', 'memorySampling.interval': '15s', 'memorySampling.window': '15s', 'memorySampling.warnHorizon': '0s', replayMax: '0s' }],
    ['the largest window', { 'memorySampling.interval': '12h', 'memorySampling.window': '12h' }],
    ['fractions and milliseconds', { leaseDuration: '7.5s', 'memorySampling.interval': '15500ms', 'memorySampling.window': '0.5h' }],
    ['the stdout sink, one namespace and sampling off', { sink: 'stdout', region: '', 'memorySampling.enabled': 'false', 'namespaces[0]': 'shop' }],
  ])('renders an environment the forwarder starts with: %s', async (_, set) => {
    const objects = await render(['-f', minimal, ...flags(set)]);
    expect(() => loadConfig(environment(objects))).not.toThrow();
  });

  it('refuses, at install, a window shorter than the interval, which the forwarder refuses too', async () => {
    const set = { 'memorySampling.interval': '5m', 'memorySampling.window': '2m' };
    expect(() => loadConfig({ OOMBOT_CLUSTER: 'prod-eu', OOMBOT_SINK: 'stdout', OOMBOT_MEMORY_INTERVAL: '5m', OOMBOT_MEMORY_WINDOW: '2m' })).toThrow(/OOMBOT_MEMORY_WINDOW/);
    await expect(render(['-f', minimal, ...flags(set)])).rejects.toMatchObject({ stderr: expect.stringContaining('memorySampling.window (2m) is shorter than memorySampling.interval (5m)') });
    // helm lint reports a template's fail only as [INFO]; `helm install` and `helm template` stop on it.
    expect((await lint(['-f', minimal, ...flags(set)])).output).toContain('memorySampling.window (2m) is shorter than memorySampling.interval (5m)');
  });

  it('refuses a scrape timeout longer than the scrape interval, a ServiceMonitor without its Service, and alerts that could never see the series', async () => {
    await expect(render(['-f', minimal, ...flags({ 'metrics.prometheusRule.enabled': 'true' })])).rejects.toMatchObject({ stderr: expect.stringContaining('metrics.prometheusRule.enabled without the ServiceMonitor needs metrics.prometheusRule.selector') });
    expect(names(await render(['-f', minimal, ...flags({ 'metrics.prometheusRule.enabled': 'true', 'metrics.prometheusRule.selector': 'job="oombot-forwarder"' })]))).toContain('PrometheusRule/oombot-forwarder');
    await expect(render(['-f', monitoring, ...flags({ 'metrics.serviceMonitor.scrapeTimeout': '1m' })])).rejects.toMatchObject({ stderr: expect.stringContaining('scrapeTimeout (1m) is longer than its interval (30s)') });
    await expect(render(['-f', monitoring, ...flags({ 'metrics.service.enabled': 'false' })])).rejects.toMatchObject({ stderr: expect.stringContaining('metrics.serviceMonitor.enabled needs metrics.service.enabled') });
  });
});

describe('what the chart renders', () => {
  it('renders the monitoring objects only when asked, and the metrics Service by default', async () => {
    const base = ['ClusterRole/oombot-forwarder', 'ClusterRoleBinding/oombot-forwarder', 'Deployment/oombot-forwarder', 'PodDisruptionBudget/oombot-forwarder', 'Role/oombot-forwarder-lease', 'RoleBinding/oombot-forwarder-lease', 'Service/oombot-forwarder-metrics', 'ServiceAccount/oombot-forwarder'];
    expect(names(await render(['-f', minimal]))).toEqual(base);
    expect(names(await render(['-f', monitoring]))).toEqual([...base, 'ConfigMap/oombot-forwarder-dashboard', 'PrometheusRule/oombot-forwarder', 'ServiceMonitor/oombot-forwarder'].sort());
    expect(names(await render(['-f', minimal, ...flags({ 'metrics.service.enabled': 'false' })]))).toEqual(base.filter((n) => !n.startsWith('Service/')));
  });

  it('spreads the replicas across nodes by default, keeps a budget of one only with two or more, and lets both be overridden', async () => {
    const spread = (objects: KubernetesObject[]) => deploymentOf(objects).spec.template.spec.topologySpreadConstraints;
    const selector = { matchLabels: { 'app.kubernetes.io/name': 'oombot-forwarder', 'app.kubernetes.io/instance': 'oombot-forwarder' } };
    const defaults = await render(['-f', minimal]);
    expect(spread(defaults)).toEqual([{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector }]);
    expect(defaults.find((o) => o.kind === 'PodDisruptionBudget')).toMatchObject({ spec: { minAvailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector } });
    // The spread's selector counts exactly this release's pods.
    expect(deploymentOf(defaults).spec.template.metadata.labels).toMatchObject(selector.matchLabels);
    const zones = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' }];
    expect(spread(await render(['-f', minimal, ...flags({}, { topologySpreadConstraints: JSON.stringify(zones) })]))).toEqual([{ ...zones[0], labelSelector: selector }]);
    const own = [{ ...zones[0], labelSelector: { matchLabels: { app: 'x' } } }];
    expect(spread(await render(['-f', minimal, ...flags({}, { topologySpreadConstraints: JSON.stringify(own) })]))).toEqual(own);
    expect(spread(await render(['-f', minimal, ...flags({}, { topologySpreadConstraints: '[]' })]))).toBeUndefined();
    expect(names(await render(['-f', minimal, ...flags({ replicaCount: '1' })]))).not.toContain('PodDisruptionBudget/oombot-forwarder');
  });

  it('pulls the image by digest when one is set, with pull secrets', async () => {
    const image = async (args: string[]) => deploymentOf(await render(['-f', minimal, ...args])).spec.template.spec.containers[0]!.image;
    expect(await image([])).toBe('ghcr.io/oombot/forwarder:0.1.0');
    expect(await image(['--set', `image.digest=${DIGEST}`, '--set', 'image.tag=0.1.1'])).toBe(`ghcr.io/oombot/forwarder:0.1.1@${DIGEST}`);
    const secrets = deploymentOf(await render(['-f', minimal, '--set-json', 'imagePullSecrets=[{"name":"registry"}]'])).spec.template.spec.imagePullSecrets;
    expect(secrets).toEqual([{ name: 'registry' }]);
  });

  it('packages for an OCI registry (helm package), and the package renders what the chart directory does', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'oombot-chart-package-'));
    try {
      const { stdout } = await run(helm, ['package', chart, '--version', '0.1.0', '--app-version', '0.1.0', '-d', dir]);
      const tgz = path.join(dir, 'oombot-forwarder-0.1.0.tgz');
      expect(stdout).toContain(tgz);
      expect(await render(['-f', monitoring], tgz)).toEqual(await render(['-f', monitoring]));
      expect((await run(helm, ['lint', '--strict', tgz, '-f', monitoring])).stdout).toContain('0 chart(s) failed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ships the dashboard file it documents, unchanged, in the ConfigMap Grafana’s sidecar loads', async () => {
    const file = await readFile(path.join(chart, 'dashboards/oombot-forwarder.json'), 'utf8');
    const configMap = (await render(['-f', monitoring])).find((o) => o.kind === 'ConfigMap') as KubernetesObject & { data: Record<string, string> };
    expect(configMap.metadata?.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(configMap.metadata?.annotations).toEqual({ grafana_folder: 'oombot' });
    expect(configMap.data['oombot-forwarder.json']).toBe(file);
    expect(JSON.parse(file)).toMatchObject({ uid: 'oombot-forwarder', title: 'oombot forwarder' });
  });

  it('selects the series of this release in every alert, or the selector it is given', async () => {
    type Rule = { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> };
    const rules = async (args: string[]) => ((await render(['-f', monitoring, ...args])).find((o) => o.kind === 'PrometheusRule') as unknown as { spec: { groups: { rules: Rule[] }[] } }).spec.groups.flatMap((g) => g.rules);
    const defaults = await rules([]);
    expect(defaults.map((r) => r.alert)).toEqual(['OombotForwarderNotLeading', 'OombotForwarderWatchStalled', 'OombotForwarderDeliveriesFailing', 'OombotForwarderEntriesAbandoned', 'OombotForwarderQueueNearFull', 'OombotForwarderMemorySamplingUnavailable']);
    for (const rule of defaults) {
      const selectors = [...rule.expr.matchAll(/\b(oombot_\w+)\{([^}]*)\}/g)];
      expect(selectors.length).toBeGreaterThan(0);
      for (const [, , matchers] of selectors) expect(matchers).toMatch(/^namespace="oombot",service="oombot-forwarder-metrics"/);
      expect(rule).toMatchObject({ for: expect.stringMatching(/^\d+m$/), labels: { severity: expect.stringMatching(/^(critical|warning|info)$/), team: 'platform' } });
      expect(Object.keys(rule.annotations).sort()).toEqual(['description', 'runbook', 'summary']);
    }
    expect((await rules(['--set', 'metrics.prometheusRule.selector=job="oombot"'])).every((r) => !r.expr.includes('service=') && r.expr.includes('{job="oombot"'))).toBe(true);
    expect((await rules(['--set', 'memorySampling.enabled=false'])).map((r) => r.alert)).not.toContain('OombotForwarderMemorySamplingUnavailable');
  });
});
