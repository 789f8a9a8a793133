// Two replicas, one active: only the Lease holder delivers; when it dies, the standby takes over within the Lease's
// duration and replays from the saved position, so nothing that happened in between is lost.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, CoordinationV1Api, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminationId } from '../../shared/occurrence-id.ts';
import { startPutEventsDouble, type PutEventsDouble } from '../support/eventbridge-double.ts';
import { startForwarder, type ForwarderProcess } from '../support/forwarder-process.ts';
import { node } from '../support/k8s-factories.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let bus: PutEventsDouble;
let kubeconfig: string;
const forwarders: ForwarderProcess[] = [];

beforeAll(async () => {
  bus = await startPutEventsDouble();
  const dir = await mkdtemp(path.join(tmpdir(), 'oombot-fwd-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, cluster.controlPlane.kubeconfigYaml(), { mode: 0o600 });
  await createNamespace(cluster.admin, 'shop');
  await createNamespace(cluster.admin, 'oombot');
  await createNode(cluster.admin, node() as unknown as V1Node);
});
afterAll(async () => {
  await Promise.all(forwarders.map((f) => f.stop('SIGKILL')));
  await bus?.close();
});

function replica(identity: string): ForwarderProcess {
  const f = startForwarder({
    KUBECONFIG: kubeconfig,
    OOMBOT_CLUSTER: 'ha-test',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
    OOMBOT_LEASE_NAMESPACE: 'oombot',
    OOMBOT_LEASE_DURATION: '3s',
    OOMBOT_FIRST_START_LOOKBACK: '1h',
    POD_NAME: identity,
  });
  forwarders.push(f);
  return f;
}

async function oomKilledPod(core: CoreV1Api, name: string): Promise<string> {
  const created = await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name }, spec: { nodeName: 'ip-10-0-12-7', containers: [{ name: 'app', image: 'app:1' }] } } });
  const finishedAt = new Date(Date.now() - 500).toISOString().replace(/\.\d+Z$/, 'Z');
  await core.replaceNamespacedPodStatus({
    name,
    namespace: 'shop',
    body: { ...created, status: { ...created.status, containerStatuses: [{ name: 'app', image: 'app:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: finishedAt as unknown as Date } } }] } },
  });
  return terminationId('ha-test', created.metadata!.uid!, 'app', 0, finishedAt);
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const delivered = () => bus.accepted.map((e) => JSON.parse(e.Detail).occurrenceId as string);

describe('forwarder leadership', () => {
  it('delivers from the leader only, and hands over within the Lease duration when it dies', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const a = replica('replica-a');
    await a.waitForLog((l) => l['msg'] === 'forwarding');
    const b = replica('replica-b');
    await b.waitForLog((l) => l['msg'] === 'another replica leads; standing by');

    const before = [await oomKilledPod(core, 'before-1'), await oomKilledPod(core, 'before-2')];
    await until('the leader delivers', () => before.every((id) => delivered().includes(id)), 10_000);
    expect(a.logs.filter((l) => l['msg'] === 'occurrence')).toHaveLength(2);
    expect(b.logs.filter((l) => l['msg'] === 'occurrence')).toHaveLength(0);

    // The leader dies without a word; occurrences go on while nobody leads.
    await a.stop('SIGKILL');
    const killedAt = Date.now();
    const during = [await oomKilledPod(core, 'during-1'), await oomKilledPod(core, 'during-2')];
    await b.waitForLog((l) => l['msg'] === 'became the leader', 10_000);
    const handover = Date.now() - killedAt;
    await until('the standby delivers what happened in between', () => during.every((id) => delivered().includes(id)), 10_000);
    const lease = await cluster.admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'oombot-forwarder', namespace: 'oombot' });
    expect(lease.spec?.holderIdentity).toBe('replica-b');
    expect(lease.spec?.leaseTransitions).toBe(1);
    // The Lease's 3 s plus its 0.4 s retry period, with room for a loaded CI machine.
    expect(handover).toBeLessThan(5_000);
    console.log(`handover took ${handover} ms with a 3 s Lease`);

    // A clean stop hands the Lease back at once, with the position saved on it.
    expect(await b.stop('SIGTERM')).toBe(0);
    const released = await cluster.admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'oombot-forwarder', namespace: 'oombot' });
    expect(released.spec?.holderIdentity ?? '').toBe('');
    expect(Date.parse(released.metadata?.annotations?.['oombot.io/delivered-through'] ?? '')).toBeGreaterThan(killedAt - 120_000);
  });
});
