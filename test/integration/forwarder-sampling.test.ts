// The forwarder keeps each container's recent memory from metrics.k8s.io, served as a cluster serves it: through the
// kube-apiserver's aggregation layer, by the local metrics server (sandbox/metrics-server.ts). A container climbs and
// is OOM-killed, and its envelope carries the climb up to the kill; a cluster without the API, or a forwarder not
// allowed to read it, forwards exactly as before and says so (docs/architecture.md, "How we test").
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import { decodeSeries } from '#shared/memory-series.ts';
import { startMetricsServer, type MetricsServer } from '../../sandbox/metrics-server.ts';
import { startPutEventsDouble, type PutEventsDouble } from '../support/eventbridge-double.ts';
import { startForwarder, type ForwarderProcess } from '../support/forwarder-process.ts';
import { node } from '../support/k8s-factories.ts';
import { until } from './forwarder-testbed.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';
import { oomKillPod, runningPod, wholeSecond } from './memory-pods.ts';

const k8s = useControlPlane();
const Mi = 2 ** 20;
const NODE = 'ip-10-0-12-7';
const RETRY = '2s';

let bus: PutEventsDouble;
let dir: string;
let metricsServer: MetricsServer | undefined;
const forwarders: ForwarderProcess[] = [];

beforeAll(async () => {
  bus = await startPutEventsDouble();
  dir = await mkdtemp(path.join(tmpdir(), 'oombot-sampling-'));
  await writeFile(path.join(dir, 'admin.kubeconfig'), k8s.controlPlane.kubeconfigYaml(), { mode: 0o600 });
  for (const ns of ['oombot', 'shop']) await createNamespace(k8s.admin, ns);
  await createNode(k8s.admin, node({ name: NODE }) as unknown as V1Node);
  // A Burstable container with a limit (its memory is kept as a curve) and a BestEffort one beside it on the node.
  await runningPod(k8s.admin, 'shop', NODE, 'api-0', { name: 'api', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } });
  await runningPod(k8s.admin, 'shop', NODE, 'batch-0', { name: 'worker' });
});

afterAll(async () => {
  await Promise.all(forwarders.map((f) => f.stop('SIGKILL')));
  await metricsServer?.stop();
  await bus?.close();
});

function start(env: Record<string, string>): ForwarderProcess {
  const f = startForwarder({
    KUBECONFIG: path.join(dir, 'admin.kubeconfig'),
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
    OOMBOT_LEASE_NAMESPACE: 'oombot',
    OOMBOT_FIRST_START_LOOKBACK: '1h',
    OOMBOT_MEMORY_INTERVAL: '15s',
    OOMBOT_MEMORY_RETRY: RETRY,
    ...env,
  });
  forwarders.push(f);
  return f;
}

async function probes(f: ForwarderProcess) {
  const port = Number((await f.waitForLog((l) => l['msg'] === 'serving probes and metrics'))['port']);
  const get = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    return { status: res.status, text: await res.text() };
  };
  return {
    get,
    /** A counter or gauge with these labels, from /metrics (0 when absent). */
    async metric(name: string, labels = ''): Promise<number> {
      const line = (await get('/metrics')).text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
  };
}

const envelopes = (entries: { Detail: string }[]): Envelope[] => entries.map((e) => EnvelopeSchema.parse(JSON.parse(e.Detail)));
const killOf = (list: Envelope[], pod: string) => list.find((e) => e.kind === 'container-termination' && e.pod.metadata.name === pod);
const samplingOff = (l: Record<string, unknown>) => String(l['msg']).startsWith('memory sampling off');

describe('memory sampling in the forwarder', () => {
  let forwarder: ForwarderProcess;
  let probe: Awaited<ReturnType<typeof probes>>;

  it('without metrics.k8s.io forwards as before, and says so once: in the log, in /readyz?verbose and as a metric', async () => {
    forwarder = start({ OOMBOT_CLUSTER: 'prod-eu' });
    probe = await probes(forwarder);
    await until('the absent state', async () => (await probe.metric('oombot_memory_sampling', 'state="absent"')) === 1);
    // Asked again every 2 s (OOMBOT_MEMORY_RETRY), and said only once.
    await until('two more polls', async () => (await probe.metric('oombot_memory_polls_total', 'result="absent"')) >= 3, 20_000);
    expect(forwarder.logs.filter(samplingOff).map((l) => [l['level'], l['msg']])).toEqual([
      ['info', 'memory sampling off: metrics.k8s.io is not served by this cluster; occurrences are forwarded without memory curves, and it is asked again every 2s'],
    ]);
    expect(await probe.get('/readyz')).toEqual({ status: 200, text: 'ok\n' });
    expect(await probe.get('/readyz?verbose')).toEqual({
      status: 200,
      text:
        '[+]forwarding ok\n' +
        "[-]memory-sampling: memory sampling off: metrics.k8s.io is not served by this cluster (HTTP 404); install metrics-server to keep each container's memory before a kill; asked again every 2s (does not affect readiness)\n" +
        'readyz check passed\n',
    });

    await runningPod(k8s.admin, 'shop', NODE, 'victim-0', { name: 'app', resources: { limits: { memory: '128Mi' } } });
    const finishedAt = await oomKillPod(k8s.admin, 'shop', 'victim-0');
    const e = await until('the kill on the bus', () => killOf(envelopes(bus.accepted), 'victim-0'));
    expect(e).toMatchObject({ version: 1, occurredAt: finishedAt.toISOString().replace('.000Z', 'Z') });
    expect(e.memory).toBeUndefined();
    expect(forwarder.logs.filter((l) => l['level'] === 'warn' || l['level'] === 'error')).toEqual([]);
  });

  it('starts sampling once metrics-server is installed, without a restart, and a kill carries the climb up to it', async () => {
    metricsServer = await startMetricsServer(k8s.controlPlane, { log: (line) => process.stderr.write(`[metrics server] ${line}\n`) });
    const ms = metricsServer;
    const set: { at: Date; bytes: number }[] = [];
    const sample = (bytes: number) => {
      const at = wholeSecond();
      ms.setWorkingSet('shop', 'api-0', 'api', bytes, { at });
      set.push({ at, bytes });
    };
    await until('sampling to start', async () => (await probe.metric('oombot_memory_sampling', 'state="sampling"')) === 1);
    await forwarder.waitForLog((l) => l['msg'] === 'sampling memory from metrics.k8s.io');
    // The container climbs: a new working set just after each poll (every 15 s), so that the next one, not one in
    // flight, reads it.
    ms.setWorkingSet('shop', 'batch-0', 'worker', 700 * Mi);
    for (const mi of [300, 360, 420, 490]) {
      const polls = await probe.metric('oombot_memory_polls_total', 'result="ok"');
      sample(mi * Mi);
      await until('the next poll', async () => (await probe.metric('oombot_memory_polls_total', 'result="ok"')) > polls, 30_000);
    }
    const killedAt = await oomKillPod(k8s.admin, 'shop', 'api-0');
    const e = await until('the kill on the bus', () => killOf(envelopes(bus.accepted), 'api-0'));
    expect(e.version).toBe(2);
    const series = decodeSeries(e.memory!.series);
    expect(series).toEqual({
      container: 'api',
      samples: set.map((s) => ({ at: s.at.getTime(), workingSetBytes: s.bytes, restarts: 0 })),
      limitBytes: 512 * Mi,
      requestBytes: 256 * Mi,
      killedAt: killedAt.getTime(),
    });
    // The node's top users at the last poll: the BestEffort pod counts whole, the limited one above its request.
    expect(e.memory!.nodeTop).toEqual([
      { namespace: 'shop', pod: 'batch-0', container: 'worker', workingSetBytes: 700 * Mi },
      { namespace: 'shop', pod: 'api-0', container: 'api', workingSetBytes: 490 * Mi, requestBytes: 256 * Mi },
    ]);
    expect((await probe.get('/readyz?verbose')).text).toBe('[+]forwarding ok\n[+]memory-sampling ok: memory of 2 containers, every 15s over 30m\nreadyz check passed\n');
    expect(forwarder.logs.filter(samplingOff)).toHaveLength(1);
  }, 150_000);

  it('forbidden to read metrics.k8s.io, forwards as before, and says so once', async () => {
    // A ServiceAccount that may watch pods and events, and nothing of metrics.k8s.io.
    const rbac = k8s.admin.makeApiClient(RbacAuthorizationV1Api);
    const core = k8s.admin.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'oombot', body: { metadata: { name: 'no-metrics' } } });
    await rbac.createClusterRole({ body: { metadata: { name: 'no-metrics' }, rules: [{ apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list', 'watch'] }] } });
    await rbac.createClusterRoleBinding({ body: { metadata: { name: 'no-metrics' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'no-metrics' }, subjects: [{ kind: 'ServiceAccount', name: 'no-metrics', namespace: 'oombot' }] } });
    const token = await core.createNamespacedServiceAccountToken({ name: 'no-metrics', namespace: 'oombot', body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const config = JSON.parse(k8s.controlPlane.kubeconfigYaml()) as { users: { user: object }[] };
    for (const u of config.users) u.user = { token: token.status!.token };
    await writeFile(path.join(dir, 'no-metrics.kubeconfig'), JSON.stringify(config), { mode: 0o600 });
    // Its own process, without a Lease (it may not have one) and printing its entries: the first forwarder still runs.
    const restricted = start({ OOMBOT_CLUSTER: 'prod-eu', KUBECONFIG: path.join(dir, 'no-metrics.kubeconfig'), OOMBOT_LEADER_ELECTION: 'false', OOMBOT_SINK: 'stdout' });
    const p = await probes(restricted);
    await until('the forbidden state', async () => (await p.metric('oombot_memory_sampling', 'state="forbidden"')) === 1);
    await until('two more polls', async () => (await p.metric('oombot_memory_polls_total', 'result="forbidden"')) >= 3, 20_000);
    expect(restricted.logs.filter(samplingOff).map((l) => l['level'])).toEqual(['warn']);
    expect(restricted.logs.find(samplingOff)).toMatchObject({ status: 403, detail: expect.stringContaining('cannot list resource "pods" in API group "metrics.k8s.io"') });
    const verbose = await p.get('/readyz?verbose');
    expect(verbose.status).toBe(200);
    expect(verbose.text).toMatch(/^\[\+\]forwarding ok\n\[-\]memory-sampling: memory sampling off: listing pods\.metrics\.k8s\.io is forbidden \(HTTP 403\): .*; grant get and list on pods\.metrics\.k8s\.io; asked again every 2s \(does not affect readiness\)\nreadyz check passed\n$/);

    await runningPod(k8s.admin, 'shop', NODE, 'victim-1', { name: 'app', resources: { limits: { memory: '128Mi' } } });
    await oomKillPod(k8s.admin, 'shop', 'victim-1');
    const printed = await until('the kill on stdout', () => {
      const list = envelopes(restricted.stdout.map((line) => ({ Detail: JSON.stringify((JSON.parse(line) as { detail: unknown }).detail) })));
      return killOf(list, 'victim-1');
    });
    expect(printed.version).toBe(1);
    expect(printed.memory).toBeUndefined();
    expect(restricted.logs.filter((l) => (l['level'] === 'warn' || l['level'] === 'error') && !samplingOff(l))).toEqual([]);
  }, 90_000);
});
