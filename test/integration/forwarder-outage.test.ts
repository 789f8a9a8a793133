// An API-server outage is not a crash (issue 14 item 4): the kube-apiserver is stopped for 30 s while the forwarder
// runs as its own process, then started again on the same port with the same etcd. The forwarder must keep running,
// say on /readyz why it is not ready (renewals failing, then stepped down), keep /healthz ok — restarting it would not
// bring the server back — become ready again once it leads, and deliver every kill written around the outage.
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { terminationId } from '#shared/occurrence-id.ts';
import { until, useForwarderTestbed } from './forwarder-testbed.ts';

const testbed = useForwarderTestbed({ namespaces: ['shop'] });
const { cluster } = testbed;

const LEASE_SECONDS = 3;
const OUTAGE_MS = 30_000;

async function oomKilledPod(core: CoreV1Api, name: string): Promise<string> {
  const created = await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name }, spec: { nodeName: 'ip-10-0-12-7', containers: [{ name: 'app', image: 'app:1' }] } } });
  const finishedAt = new Date(Date.now() - 500).toISOString().replace(/\.\d+Z$/, 'Z');
  await core.replaceNamespacedPodStatus({
    name,
    namespace: 'shop',
    body: { ...created, status: { ...created.status, containerStatuses: [{ name: 'app', image: 'app:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: finishedAt as unknown as Date } } }] } },
  });
  return terminationId('outage-test', created.metadata!.uid!, 'app', 0, finishedAt);
}

const delivered = () => testbed.bus.accepted.map((e) => JSON.parse(e.Detail).occurrenceId as string);

interface ProbeAnswer {
  path: '/healthz' | '/readyz';
  atMs: number;
  status: number;
  text: string;
}

describe('forwarder during an API-server outage', () => {
  it('keeps running, not ready with the reason and healthy, and delivers every kill written around a 30 s outage', { timeout: 240_000 }, async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const f = testbed.start('outage-test', { OOMBOT_LEASE_DURATION: `${LEASE_SECONDS}s`, POD_NAME: 'replica-a' });
    const port = (await f.waitForLog((l) => l['msg'] === 'serving probes and metrics'))['port'] as number;
    const probe = async (path: ProbeAnswer['path']): Promise<ProbeAnswer> => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
      return { path, atMs: Date.now(), status: res.status, text: await res.text() };
    };
    await until('the forwarder to be ready', async () => (await probe('/readyz')).status === 200);
    const before = await oomKilledPod(core, 'before-outage');
    await until('the kill before the outage to be delivered', () => delivered().includes(before));

    // Both probes, every 250 ms, from now until the forwarder is ready again.
    const answers: ProbeAnswer[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        answers.push(await probe('/healthz'), await probe('/readyz'));
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    // Written just before the server goes away: the forwarder may or may not have seen it by then.
    const justBefore = await oomKilledPod(core, 'just-before-outage');
    const downAtMs = Date.now();
    await cluster.controlPlane.stopApiserver();
    const failedAtMs = Date.parse((await f.waitForLog((l) => l['msg'] === 'renewing the Lease failed; still leading, retrying until the renew deadline', 20_000))['time'] as string);
    await f.waitForLog((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('stepped down'), 20_000);
    // Standing by, it shows nothing of the term it led (the chart's alerts read these): no queue, no sampling state.
    const standby = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    expect(standby).toMatch(/^oombot_forwarder_leader 0$/m);
    expect(standby).toMatch(/^oombot_delivery_queue_depth 0$/m);
    expect(standby).not.toMatch(/^oombot_memory_sampling\{[^}]*\} 1$/m);
    await new Promise((r) => setTimeout(r, Math.max(0, downAtMs + OUTAGE_MS - Date.now())));
    expect(f.child.exitCode).toBeNull();
    // From the first failed renewal on (until then it leads as before, for up to a renew period).
    const downAnswers = answers.filter((a) => a.atMs > failedAtMs);

    await cluster.controlPlane.startApiserver();
    const upAtMs = Date.now();
    const justAfter = await oomKilledPod(core, 'just-after-outage');
    const ready = await until('the forwarder to be ready again', () => answers.find((a) => a.atMs > upAtMs && a.path === '/readyz' && a.status === 200), 120_000);
    await until('every kill written around the outage to be delivered', () => [before, justBefore, justAfter].every((id) => delivered().includes(id)), 60_000);
    probing = false;
    await prober;
    console.log(`ready again ${ready.atMs - upAtMs} ms after the API server answered again`);

    // It never exited, and never called itself unhealthy: a restart would not have brought the server back.
    expect(f.child.exitCode).toBeNull();
    expect(answers.filter((a) => a.path === '/healthz' && a.status !== 200)).toEqual([]);
    // While the server was away /readyz said why: renewals failing while it still led, then stepped down and retrying.
    expect(downAnswers.length).toBeGreaterThan(OUTAGE_MS / 1000);
    const reasons = downAnswers.filter((a) => a.path === '/readyz').map((a) => a.text);
    expect(reasons.every((text) => text !== 'ok\n')).toBe(true);
    // (The first failures may come while the server shuts down, not only as "connection refused".)
    expect(reasons).toContainEqual(expect.stringMatching(/^cannot renew the Lease since \S+ \(.+\); still leading, stepping down at \S+ unless a renewal goes through first\n$/));
    expect(reasons.at(-1)).toMatch(/^stepped down at \S+ \(the Lease could not be renewed in time\): cannot reach the Lease since \S+ \(cannot reach https:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED[^)]*\); retrying\n$/);
    // The same process leads again, from the position it saved on the Lease before the outage.
    expect(f.logs.filter((l) => l['msg'] === 'became the leader')).toHaveLength(2);

    expect(await f.stop('SIGTERM')).toBe(0);
  });
});
