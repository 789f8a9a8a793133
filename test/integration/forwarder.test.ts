// The forwarder against a real kube-apiserver and the real AWS SDK pointed at a loopback PutEvents endpoint: what a
// kubelet writes (container status, evictions, node events) reaches EventBridge once, with a stable id.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { ForwarderProcess } from '../support/forwarder-process.ts';
import { container, event, pod, restartedStatus, runningStatus } from '../support/k8s-factories.ts';
import { createEvent, createPodAsKubelet } from './harness.ts';
import { until, useForwarderTestbed } from './forwarder-testbed.ts';

const testbed = useForwarderTestbed({ namespaces: ['shop'] });
const { cluster } = testbed;
const forwarder = (extra: Record<string, string> = {}): ForwarderProcess => testbed.start('test-cluster', extra);

const envelopes = () => testbed.published().map((e) => ({ entry: e, detail: EnvelopeSchema.parse(JSON.parse(e.Detail)) as Envelope }));

/** Writes a container status as the kubelet does after an OOM kill and restart. */
async function kubeletRestarts(name: string, restartCount: number, finishedAt: string) {
  const core = cluster.admin.makeApiClient(CoreV1Api);
  const current = await core.readNamespacedPodStatus({ name, namespace: 'shop' });
  const status = restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt }, restartCount);
  await core.replaceNamespacedPodStatus({ name, namespace: 'shop', body: { ...current, status: { ...current.status, containerStatuses: [status as never] } } });
}

describe('oombot forwarder', () => {
  it('publishes one entry per OOM kill, a distinct one per restart, and one per eviction and node OOM', async () => {
    const f = forwarder();
    await f.waitForLog((l) => l['msg'] === 'forwarding');
    const p = pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [runningStatus('api')] });
    const { status, ...spec } = p;
    const created = await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
    const name = created.metadata!.name!;
    const uid = created.metadata!.uid!;

    const t1 = new Date(Date.now() - 5_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await kubeletRestarts(name, 1, t1);
    const first = await until('the first entry', () => envelopes().find((e) => e.detail.kind === 'container-termination'));
    expect(first.entry).toMatchObject({ Source: 'oombot.forwarder', DetailType: 'Container Memory Termination', EventBusName: 'oombot-prod' });
    expect(first.detail).toMatchObject({ cluster: 'test-cluster', kind: 'container-termination', container: 'api', terminationIndex: 0, occurredAt: t1, node: 'ip-10-0-12-7' });
    expect(first.detail.kind === 'container-termination' && first.detail.pod.metadata).toMatchObject({ uid, name, namespace: 'shop' });
    // The snapshot is trimmed: no managedFields.
    expect(JSON.parse(first.entry.Detail).pod.metadata.managedFields).toBeUndefined();

    // The same status written again (a kubelet resync) is not a new occurrence.
    await kubeletRestarts(name, 1, t1);
    const t2 = new Date(Date.now() - 1_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await kubeletRestarts(name, 2, t2);
    await until('the second entry', () => envelopes().filter((e) => e.detail.kind === 'container-termination').length >= 2);
    const terms = envelopes().filter((e) => e.detail.kind === 'container-termination');
    expect(terms).toHaveLength(2);
    expect(terms[1]!.detail).toMatchObject({ terminationIndex: 1, occurredAt: t2 });
    expect(terms[0]!.detail.occurrenceId).not.toBe(terms[1]!.detail.occurrenceId);

    // An eviction: the kubelet marks the pod Failed/Evicted.
    const evicted = pod({
      name: 'web-evicted',
      containers: [container({ name: 'web', limit: '1Gi', request: '128Mi' })],
      statuses: [runningStatus('web')],
    });
    const { status: es, ...espec } = evicted;
    await createPodAsKubelet(cluster.admin, { ...espec, metadata: { ...espec.metadata, uid: undefined } } as unknown as V1Pod, {
      ...(es as object),
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. Container web was using 900Mi, request is 128Mi, has larger consumption of memory. ',
    } as never);
    // A SystemOOM on the node.
    await createEvent(cluster.admin, event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: java, pid: 42', at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }) as unknown as CoreV1Event);
    await until('the eviction and the node OOM', () => envelopes().some((e) => e.detail.kind === 'pod-eviction') && envelopes().some((e) => e.detail.kind === 'node-oom'));
    await testbed.settle(); // anything extra has been published by now
    expect(envelopes().map((e) => e.detail.kind).sort()).toEqual(['container-termination', 'container-termination', 'node-oom', 'pod-eviction']);
    expect(envelopes().find((e) => e.detail.kind === 'pod-eviction')!.entry.DetailType).toBe('Pod Eviction');
    expect(envelopes().find((e) => e.detail.kind === 'node-oom')!.entry.DetailType).toBe('Node OOM');

    // What it exposes: probes, and metrics that count what just happened.
    const port = (await f.waitForLog((l) => l['msg'] === 'serving probes and metrics'))['port'] as number;
    const get = async (p: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${p}`);
      return { status: res.status, text: await res.text() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect(await get('/readyz')).toEqual({ status: 200, text: 'ok\n' });
    // The counts include settle()'s two markers: one OOM kill, one node OOM. The forwarder counts an entry sent once it
    // has read PutEvents' answer, which can be after the bus has it; the queue-depth gauge is refreshed every second.
    const metricsText = async () => (await get('/metrics')).text;
    await expect.poll(metricsText, { timeout: 20_000, interval: 100 }).toContain('oombot_putevents_entries_total{result="sent"} 6');
    await expect.poll(metricsText, { timeout: 20_000, interval: 100 }).toContain('oombot_delivery_queue_depth 0');
    const metrics = await metricsText();
    expect(metrics).toContain('oombot_occurrences_total{kind="container-termination"} 3');
    expect(metrics).toContain('oombot_occurrences_total{kind="pod-eviction"} 1');
    expect(metrics).toContain('oombot_occurrences_total{kind="node-oom"} 2');
    expect(metrics).toContain('oombot_forwarder_leader 1');
    expect(metrics).toMatch(/oombot_delivery_lag_seconds_count 6/);

    expect(await f.stop('SIGTERM')).toBe(0);
    expect(f.logs.some((l) => l['msg'] === 'stopped')).toBe(true);
  });

  it('keeps /healthz ok while the API server cannot be reached, and says why on /readyz', async () => {
    // A server that is away is not a reason to restart (a restart would not bring it back): only /readyz fails.
    const config = JSON.parse(cluster.controlPlane.kubeconfigYaml());
    for (const c of config.clusters) c.cluster.server = 'https://127.0.0.1:1';
    const closed = path.join(path.dirname(testbed.kubeconfig), 'closed.kubeconfig');
    await writeFile(closed, JSON.stringify(config), { mode: 0o600 });
    const f = forwarder({ KUBECONFIG: closed, OOMBOT_LEADER_ELECTION: 'false', OOMBOT_WATCH_IDLE_TIMEOUT: '500ms' });
    const port = (await f.waitForLog((l) => l['msg'] === 'serving probes and metrics'))['port'] as number;
    const get = async (p: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${p}`);
      return { status: res.status, text: await res.text() };
    };
    // Past the point where every watch has failed several times (the old /healthz gave up after 3 failures, ~5 s).
    const deadline = Date.now() + 10_000;
    const health: { status: number; text: string }[] = [];
    while (Date.now() < deadline) {
      health.push(await get('/healthz'));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(health.filter((h) => h.status !== 200)).toEqual([]);
    expect(f.child.exitCode).toBeNull();
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.text).toMatch(/^cannot watch (.+, )?pods(, .+)? since \S+; retrying \(the log says why\)\n$/);
    expect(f.logs.filter((l) => l['msg'] === 'watch failed; retrying' && String(l['error']).includes('ECONNREFUSED')).length).toBeGreaterThan(3);
  });

  it('stops with one clear message, exit 2, when its configuration is wrong', async () => {
    const f = forwarder({ OOMBOT_CLUSTER: '', OOMBOT_SINK: 'kafka' });
    expect(await f.exited).toBe(2);
    const text = f.logs.map((l) => l['msg']).join('\n');
    expect(text).toContain('oombot: forwarder: invalid configuration:');
    expect(text).toContain('OOMBOT_CLUSTER is empty: set it to the name alerts should show for this cluster, e.g. prod-eu');
    expect(text).toContain('OOMBOT_SINK must be eventbridge (default) or stdout');
    expect(text).not.toMatch(/\n\s+at /);
  });
});
