// The demo `oombot start` plays without a cluster (sandbox/demo.ts), against a real kube-apiserver with the real
// forwarder watching: every pod reads back, through the live collector and the engine, as the cause its scenario is
// about; the forwarder publishes one occurrence per termination, eviction and node OOM; and a replay — over the
// previous run, or after its namespace was deleted — plays the same again.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectDiagnosisInput } from '../../kube/collect.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { playDemo, DEMO_SCENARIOS, type DemoScenario } from '../../sandbox/demo.ts';
import { diagnose } from '#shared/diagnose.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { Verdict } from '#shared/verdict.ts';
import { until, useForwarderTestbed } from './forwarder-testbed.ts';

const testbed = useForwarderTestbed({ namespaces: [] });
const { cluster } = testbed;
const SPEED = 100;
/** The leak climbs for 6 min at speed 1: as long as the others at this one. */
const LEAK_SPEED = 400;

const envelopes = (): Envelope[] => testbed.published().map((e) => EnvelopeSchema.parse(JSON.parse(e.Detail)));

/** What the forwarder published about one scenario: its pods' terminations and evictions, its node's OOM events. */
function published(s: DemoScenario): Envelope[] {
  return envelopes().filter((e) => (e.kind === 'node-oom' ? e.node === s.node : s.pods.includes(e.pod.metadata.name ?? '')));
}

async function verdictsOf(s: DemoScenario): Promise<Verdict[]> {
  const api = kubeConfigTransport(cluster.admin);
  return Promise.all(s.pods.map(async (pod) => diagnose(await collectDiagnosisInput(api, 'demo', pod))));
}

async function play(): Promise<string[]> {
  const lines: string[] = [];
  const handle = await playDemo(cluster.admin, { speed: SPEED, leakSpeed: LEAK_SPEED, log: (l) => lines.push(l) });
  expect(await handle.finished).toBe('played');
  return lines;
}

/** Waits until the forwarder has published `rounds` plays' worth, and anything extra the plays were going to cause. */
async function forwarded(rounds: number): Promise<void> {
  const total = rounds * DEMO_SCENARIOS.reduce((n, s) => n + s.occurrences, 0);
  await until(`${total} occurrences`, () => envelopes().length >= total);
  await testbed.settle();
}

beforeAll(async () => {
  const forwarder = testbed.start('demo-cluster');
  // Ready means every watch has listed: from then on each status write the demo makes reaches it as a watch event.
  const port = (await forwarder.waitForLog((l) => l['msg'] === 'serving probes and metrics'))['port'] as number;
  const deadline = Date.now() + 30_000;
  while ((await fetch(`http://127.0.0.1:${port}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('the forwarder never became ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  await play();
});

describe('the demo', () => {
  it.each(DEMO_SCENARIOS)('$name: every pod is diagnosed as $cause ($kind), owned by its Deployment', async (s) => {
    for (const v of await verdictsOf(s)) {
      expect({ pod: v.pod.name, cause: v.cause, kind: v.kind, workload: v.workload, node: v.node }).toEqual({
        pod: v.pod.name,
        cause: s.cause,
        kind: s.kind,
        workload: { kind: 'Deployment', name: s.workloads.find((w) => w.pods.includes(v.pod.name))?.name },
        node: s.node,
      });
    }
  });

  it('limit: api was OOMKilled 3 times at the 512Mi its Deployment sets, and a raise to 640Mi is recommended', async () => {
    const limit = DEMO_SCENARIOS.find((s) => s.name === 'limit')!;
    const [verdict] = await verdictsOf(limit);
    expect(verdict).toMatchObject({
      container: 'api',
      confidence: 'high',
      termination: { reason: 'OOMKilled', exitCode: 137, restartCount: 3 },
      memory: { limit: '512Mi', request: '256Mi' },
      recommendation: { memoryLimit: '640Mi' },
    });
    // Demo nodes are objects only: the kubelet cannot be asked, and the alert says why in plain words.
    expect(verdict!.missing).toContain('kubelet stats (Summary API): the node lists no kubelet address to ask');
    const deployment = await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'checkout', namespace: 'demo' });
    const api = deployment.spec!.template.spec!.containers.find((c) => c.name === 'api')!;
    expect(api.resources?.limits?.['memory']).toBe('512Mi');
    expect(deployment.spec!.template.spec!.containers.map((c) => c.name)).toEqual(['api', 'proxy']);
  });

  it('the forwarder publishes one occurrence per termination, eviction and node OOM of each scenario', async () => {
    await forwarded(1);
    const counts = Object.fromEntries(DEMO_SCENARIOS.map((s) => [s.name, published(s).length]));
    expect(counts).toEqual(Object.fromEntries(DEMO_SCENARIOS.map((s) => [s.name, s.occurrences])));
    const limit = published(DEMO_SCENARIOS.find((s) => s.name === 'limit')!);
    expect(limit.map((e) => e.kind === 'container-termination' && e.terminationIndex)).toEqual([0, 1, 2]);
  });

  it('replays over the previous run: the same objects again, diagnosed the same, published again', async () => {
    await play();
    const pods = await cluster.admin.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'demo' });
    expect(pods.items.map((p) => p.metadata!.name).sort()).toEqual(DEMO_SCENARIOS.flatMap((s) => s.pods).sort());
    for (const s of DEMO_SCENARIOS) {
      expect((await verdictsOf(s)).map((v) => `${v.cause}/${v.kind}`)).toEqual(s.pods.map(() => `${s.cause}/${s.kind}`));
    }
    await forwarded(2);
    expect(envelopes()).toHaveLength(2 * DEMO_SCENARIOS.reduce((n, s) => n + s.occurrences, 0));
  });

  it('replays after its namespace was deleted (which, with no namespace controller, never finishes on its own)', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    await core.deleteNamespace({ name: 'demo' });
    expect((await core.readNamespace({ name: 'demo' })).metadata?.deletionTimestamp).toBeDefined();
    const lines = await play();
    expect(lines).toContain('demo: every scenario has played');
    expect((await core.readNamespace({ name: 'demo' })).metadata?.deletionTimestamp).toBeUndefined();
    for (const s of DEMO_SCENARIOS) {
      expect((await verdictsOf(s)).map((v) => `${v.cause}/${v.kind}`)).toEqual(s.pods.map(() => `${s.cause}/${s.kind}`));
    }
  });

  it('stops between steps when its signal aborts, and says so', async () => {
    const stop = new AbortController();
    const handle = await playDemo(cluster.admin, { signal: stop.signal });
    stop.abort();
    expect(await handle.finished).toBe('stopped');
  });
});
