// Two replicas, one active: only the Lease holder delivers; when it dies, the standby takes over once the Lease has
// gone unrenewed for its duration (and not much later), and replays from the saved position, so nothing that happened
// in between is lost.
import { CoreV1Api, CoordinationV1Api, Watch } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { electionPeriods } from '../../forwarder/lease.ts';
import { terminationId } from '#shared/occurrence-id.ts';
import type { ForwarderProcess } from '../support/forwarder-process.ts';
import { until, useForwarderTestbed } from './forwarder-testbed.ts';

const testbed = useForwarderTestbed({ namespaces: ['shop'] });
const { cluster } = testbed;

const LEASE_SECONDS = 3;

function replica(identity: string): ForwarderProcess {
  return testbed.start('ha-test', { OOMBOT_LEASE_DURATION: `${LEASE_SECONDS}s`, POD_NAME: identity });
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

interface LeaseVersion {
  holder: string;
  durationSeconds: number;
  acquireMs: number;
  renewMs: number;
}

/**
 * Every version of the forwarders' Lease from now on, through a watch: the API server hands over each one in order,
 * however late this process reads them, so what is measured from them is the replicas' timing, not this machine's.
 */
async function leaseHistory(): Promise<{ versions: LeaseVersion[]; stop(): void }> {
  const versions: LeaseVersion[] = [];
  type Spec = { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
  const watching = await new Watch(cluster.admin).watch(
    '/apis/coordination.k8s.io/v1/namespaces/oombot/leases',
    { fieldSelector: 'metadata.name=oombot-forwarder' },
    (_type: string, lease: { spec?: Spec }) => {
      const spec = lease.spec ?? {};
      versions.push({ holder: spec.holderIdentity ?? '', durationSeconds: spec.leaseDurationSeconds ?? 0, acquireMs: Date.parse(spec.acquireTime ?? ''), renewMs: Date.parse(spec.renewTime ?? '') });
    },
    () => undefined,
  );
  return { versions, stop: () => watching.abort() };
}

describe('forwarder leadership', () => {
  it('delivers from the leader only, and hands over once the Lease has expired, soon after, when it dies', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const a = replica('replica-a');
    await a.waitForLog((l) => l['msg'] === 'forwarding');
    const b = replica('replica-b');
    await b.waitForLog((l) => l['msg'] === 'another replica leads; standing by');
    const history = await leaseHistory();

    const before = [await oomKilledPod(core, 'before-1'), await oomKilledPod(core, 'before-2')];
    await until('the leader delivers', () => before.every((id) => delivered().includes(id)));
    expect(a.logs.filter((l) => l['msg'] === 'occurrence')).toHaveLength(2);
    expect(b.logs.filter((l) => l['msg'] === 'occurrence')).toHaveLength(0);

    // The leader dies without a word; occurrences go on while nobody leads.
    const killedAt = Date.now();
    await a.stop('SIGKILL');
    const during = [await oomKilledPod(core, 'during-1'), await oomKilledPod(core, 'during-2')];
    await b.waitForLog((l) => l['msg'] === 'became the leader');
    await until('the standby delivers what happened in between', () => during.every((id) => delivered().includes(id)));
    const lease = await cluster.admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'oombot-forwarder', namespace: 'oombot' });
    expect(lease.spec?.holderIdentity).toBe('replica-b');
    expect(lease.spec?.leaseTransitions).toBe(1);

    // When, by the replicas' own clocks in the Lease: the standby took it over after the leader's last renewal...
    const taken = await until('the takeover in the Lease’s history', () => history.versions.find((v) => v.holder === 'replica-b'));
    history.stop();
    const lastRenewal = history.versions.filter((v) => v.holder === 'replica-a').at(-1)!;
    const unrenewedMs = taken.acquireMs - lastRenewal.renewMs;
    expect(lastRenewal.durationSeconds).toBe(LEASE_SECONDS);
    const leaseMs = LEASE_SECONDS * 1000;
    const { retryEveryMs } = electionPeriods(LEASE_SECONDS);
    // ...not before the Lease expired (a standby that takes a live leader's Lease would deliver beside it)...
    expect(unrenewedMs).toBeGreaterThan(leaseMs);
    // ...and soon after: it notices the last renewal, then the expiry, each within a retry period; half a Lease more
    // is for the API requests and timers of both replicas on a loaded machine.
    expect(unrenewedMs).toBeLessThanOrEqual(leaseMs + 2 * retryEveryMs + leaseMs / 2);
    console.log(`the Lease went unrenewed ${unrenewedMs} ms before the standby took it (duration ${leaseMs} ms, retry ${retryEveryMs} ms); ${taken.acquireMs - killedAt} ms after the SIGKILL`);

    // A clean stop hands the Lease back at once, with the position saved on it.
    expect(await b.stop('SIGTERM')).toBe(0);
    const released = await cluster.admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'oombot-forwarder', namespace: 'oombot' });
    expect(released.spec?.holderIdentity ?? '').toBe('');
    expect(Date.parse(released.metadata?.annotations?.['oombot.io/delivered-through'] ?? '')).toBeGreaterThan(killedAt - 120_000);
    // The standby delivered nothing while it stood by: its log is in order, so this holds however late it is read.
    const tookOver = b.logs.findIndex((l) => l['msg'] === 'became the leader');
    expect(b.logs.slice(0, tookOver).filter((l) => l['msg'] === 'occurrence' || l['msg'] === 'forwarding')).toEqual([]);
  });
});
