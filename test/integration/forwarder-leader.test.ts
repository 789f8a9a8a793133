// Two replicas, one active: only the Lease holder delivers; when it dies, the standby takes over within the Lease's
// duration and replays from the saved position, so nothing that happened in between is lost.
import { CoreV1Api, CoordinationV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { terminationId } from '#shared/occurrence-id.ts';
import type { ForwarderProcess } from '../support/forwarder-process.ts';
import { until, useForwarderTestbed } from './forwarder-testbed.ts';

const testbed = useForwarderTestbed({ namespaces: ['shop'] });
const { cluster } = testbed;

function replica(identity: string): ForwarderProcess {
  return testbed.start('ha-test', { OOMBOT_LEASE_DURATION: '3s', POD_NAME: identity });
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

const delivered = () => testbed.bus.accepted.map((e) => JSON.parse(e.Detail).occurrenceId as string);

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
