// Nothing lost, nothing new invented: a stream of 500 OOM kills while the forwarder is SIGKILLed and restarted, 20 %
// of PutEvents entries fail, and watches expire (etcd compacts every 2 s and the watch cache is off, so a resumed
// watch gets 410 Gone). Every occurrence must reach the bus; every resend must carry an id already sent.
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { electionPeriods } from '../../forwarder/lease.ts';
import { terminationId } from '#shared/occurrence-id.ts';
import { until, useForwarderTestbed } from './forwarder-testbed.ts';

const COMPACTION_SECONDS = 2;
const IDLE_SECONDS = 2;
const LEASE_SECONDS = 15;
const testbed = useForwarderTestbed({ namespaces: ['load'], apiserverFlags: ['--watch-cache=false', `--etcd-compaction-interval=${COMPACTION_SECONDS}s`] });
const { cluster } = testbed;
const forwarder = (identity: string) => testbed.start('load-test', { OOMBOT_WATCH_IDLE_TIMEOUT: `${IDLE_SECONDS}s`, OOMBOT_LEASE_DURATION: `${LEASE_SECONDS}s`, POD_NAME: identity });

/** One pod, OOM-killed once and restarted, written as the API server and a kubelet would. Returns its occurrence id. */
async function oomKilledPod(core: CoreV1Api, i: number): Promise<string> {
  const name = `worker-${i}`;
  const created = await core.createNamespacedPod({
    namespace: 'load',
    body: { metadata: { name }, spec: { nodeName: 'ip-10-0-12-7', containers: [{ name: 'app', image: 'registry.example/app:1', resources: { limits: { memory: '256Mi' } } }] } },
  });
  const finishedAt = new Date(Date.now() - 1_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await core.replaceNamespacedPodStatus({
    name,
    namespace: 'load',
    body: {
      ...created,
      status: {
        ...created.status,
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            image: 'registry.example/app:1',
            imageID: '',
            ready: true,
            restartCount: 1,
            state: { running: { startedAt: new Date() } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: new Date(Date.now() - 60_000), finishedAt: finishedAt as unknown as Date } },
          },
        ],
      },
    },
  });
  return terminationId('load-test', created.metadata!.uid!, 'app', 0, finishedAt);
}

describe('forwarder resilience', () => {
  it('delivers all of 500 occurrences through a SIGKILL, 20 % failed entries and expired watches', async () => {
    const bus = testbed.bus;
    bus.failureRate = 0.2;
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const expected: string[] = [];

    const first = forwarder('forwarder-0');
    await first.waitForLog((l) => l['msg'] === 'forwarding');
    for (let i = 0; i < 200; i++) expected.push(await oomKilledPod(core, i));
    await until('some deliveries', () => bus.accepted.length >= 100, 60_000);
    // Kill it while entries are in its queue and being resent, whatever the machine's speed: from now on the bus
    // refuses every entry, and it is killed once it has read the next 50 (it logs each occurrence before queueing it).
    // What it held in memory is gone; the restarted one must find them again.
    bus.failureRate = 1;
    const refusedBefore = bus.rejectedEntries;
    const held: string[] = [];
    for (let i = 200; i < 250; i++) held.push(await oomKilledPod(core, i));
    expected.push(...held);
    const read = (id: string) => first.logs.some((l) => l['msg'] === 'occurrence' && l['occurrenceId'] === id);
    await until('the forwarder to hold the next 50', () => held.every(read), 60_000);
    await first.stop('SIGKILL');
    const refusedOnPurpose = bus.rejectedEntries - refusedBefore;
    bus.failureRate = 0.2;
    const deliveredBeforeKill = new Set(bus.accepted.map((e) => JSON.parse(e.Detail).occurrenceId as string));

    // Occurrences keep happening while it is down.
    for (let i = 250; i < 400; i++) expected.push(await oomKilledPod(core, i));
    // The same pod restarts as the same identity (a container restart keeps POD_NAME) and resumes from the Lease.
    const second = forwarder('forwarder-0');
    await second.waitForLog((l) => l['msg'] === 'forwarding');
    for (let i = 400; i < 500; i++) expected.push(await oomKilledPod(core, i));

    const delivered = () => new Set(bus.accepted.map((e) => JSON.parse(e.Detail).occurrenceId as string));
    await until('every occurrence', () => expected.every((id) => delivered().has(id)), 120_000);
    // A watch resumed after compaction got 410 Gone and relisted, during this run. Without the test writing anything,
    // one does within an idle restart plus two compactions (the compactor compacts to the revision it saw on its
    // previous run) after a write, and the forwarder's own Lease renewals write every renewal period; thrice that is
    // for a loaded machine. In practice the first come seconds after it starts forwarding.
    const goneWithinMs = 3 * ((IDLE_SECONDS + 2 * COMPACTION_SECONDS) * 1000 + electionPeriods(LEASE_SECONDS).renewEveryMs);
    await second.waitForLog((l) => l['msg'] === 'watch expired (410 Gone); relisting', goneWithinMs);

    const ids = bus.accepted.map((e) => JSON.parse(e.Detail).occurrenceId as string);
    expect(new Set(ids).size).toBe(500);
    expect(ids.every((id) => expected.includes(id))).toBe(true); // every resend carries an id already known
    expect(bus.rejectedEntries - refusedOnPurpose).toBeGreaterThan(50); // the 20 % failures really happened
    console.log(`accepted ${ids.length} entries for 500 occurrences (${ids.length - 500} resends absorbed by ids); ${bus.rejectedEntries} entries failed and were resent; ${deliveredBeforeKill.size} delivered before the SIGKILL`);
    expect(await second.stop('SIGTERM')).toBe(0);
    // Writing 500 pods and delivering them through the failures takes most of a minute on a loaded 2-core machine.
  }, 240_000);
});
