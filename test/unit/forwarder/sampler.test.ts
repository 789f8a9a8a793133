import { describe, expect, it } from 'vitest';
import type { KubeResponse, KubeTransport } from '../../../kube/rest.ts';
import { forwarderMetrics } from '../../../forwarder/metrics.ts';
import { nextPollAt, type PollResult } from '../../../forwarder/poll-schedule.ts';
import { MemorySampler, type SamplerOptions } from '../../../forwarder/sampler.ts';
import { EnvelopeSchema, MAX_NODE_MEMORY_USERS } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { jsonLines } from '#shared/log.ts';
import { decodeSeries } from '#shared/memory-series.ts';
import { podOccurrences, type Occurrence } from '#shared/occurrences.ts';
import { buildEnvelope } from '../../../forwarder/envelopes.ts';
import { at, container, pod, restartedStatus, runningStatus, T0 } from '../../support/k8s-factories.ts';

const Mi = 2 ** 20;
const t = (seconds: number) => Date.parse(T0) + seconds * 1000;
const stamp = (seconds: number) => new Date(t(seconds)).toISOString().replace('.000Z', 'Z');

interface Usage {
  namespace?: string;
  pod: string;
  at: number;
  containers: Record<string, number>;
}

/** PodMetrics as metrics-server writes them (quantities, whole-second timestamps). */
const podMetrics = (u: Usage) => ({
  metadata: { name: u.pod, namespace: u.namespace ?? 'shop', creationTimestamp: stamp(u.at) },
  timestamp: stamp(u.at),
  window: '15s',
  containers: Object.entries(u.containers).map(([name, bytes]) => ({ name, usage: { cpu: '0', memory: `${Math.round(bytes / 1024)}Ki` } })),
});

/** The API server's side of a poll: answers each GET from a script and remembers what was asked. */
function scriptedApi(answer: (path: string) => KubeResponse): KubeTransport & { asked: string[] } {
  const asked: string[] = [];
  return {
    description: 'scripted',
    asked,
    get: async (path) => {
      asked.push(path);
      return answer(path);
    },
    request: () => Promise.reject(new Error('not used')),
    stream: () => Promise.reject(new Error('not used')),
  };
}

const list = (items: unknown[], cont?: string): KubeResponse => ({ status: 200, body: { kind: 'PodMetricsList', metadata: cont ? { continue: cont } : {}, items } });

function sampler(o: Partial<SamplerOptions> & { api: KubeTransport }) {
  const lines: Record<string, unknown>[] = [];
  const metrics = forwarderMetrics();
  const s = new MemorySampler({
    log: jsonLines({ write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), level: 'debug' }),
    metrics,
    intervalMs: 30_000,
    windowMs: 30 * 60_000,
    retryMs: 300_000,
    namespaces: undefined,
    inScope: () => true,
    ...o,
  });
  return { s, lines, metrics };
}

/** The current set of samples a test drives, answered to every poll. */
function cluster() {
  let items: unknown[] = [];
  const api = scriptedApi(() => list(items));
  return { api, set: (...usages: Usage[]) => (items = usages.map(podMetrics)) };
}

const raw = (p: Pod) => p as unknown as Record<string, unknown>;
const signal = new AbortController().signal;

const api0 = pod({ name: 'api-0', uid: 'uid-api-0', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' }), container({ name: 'envoy' })], statuses: [runningStatus('api'), runningStatus('envoy')] });

describe('MemorySampler: whose memory is kept', () => {
  it('keeps a curve for containers with a memory limit, and only the last sample of the others', async () => {
    const c = cluster();
    const { s } = sampler({ api: c.api });
    s.observe(raw(api0), true);
    s.synced();
    for (let i = 0; i < 3; i++) {
      c.set({ pod: 'api-0', at: i * 30, containers: { api: (300 + 10 * i) * Mi, envoy: 40 * Mi } });
      await s.poll(signal);
    }
    expect(s.rings.size).toBe(1);
    const row = s.pods.get('shop', 'api-0')!;
    expect([...s.pods.containers(row)].map((x) => [x.name, x.slot >= 0, x.lastBytes])).toEqual([
      ['api', true, 320 * Mi],
      ['envoy', false, 40 * Mi],
    ]);
    expect(s.rings.samples(s.pods.slot(row, s.pods.find(row, 'api'))).map((x) => x.workingSetBytes)).toEqual([300 * Mi, 310 * Mi, 320 * Mi]);
  });

  it('keeps curves for every container of a pod with a pod-level limit, and for sidecars', () => {
    const p = pod({ name: 'pl', containers: [container({ name: 'a' }), container({ name: 'b' })], initContainers: [{ ...container({ name: 'proxy', limit: '64Mi' }), restartPolicy: 'Always' } as never, container({ name: 'migrate', limit: '1Gi' })], statuses: [] });
    const { s } = sampler({ api: cluster().api });
    s.observe({ ...raw(p), spec: { ...p.spec, resources: { limits: { memory: '2Gi' } } } });
    const row = s.pods.get('shop', 'pl')!;
    expect([...s.pods.containers(row)].map((x) => [x.name, x.slot >= 0])).toEqual([
      ['a', true],
      ['b', true],
      ['proxy', true],
    ]); // an init container that is not a sidecar has ended before the pod runs: no row
  });

  it('starts a curve for a container without a limit once it has died of memory', () => {
    const { s } = sampler({ api: cluster().api });
    const p = pod({ name: 'w', containers: [container({ name: 'worker' })], statuses: [restartedStatus('worker', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    s.observe(raw(p));
    expect(s.rings.size).toBe(0);
    s.diedOfMemory(p, ['worker']);
    expect(s.rings.size).toBe(1);
    s.observe(raw(p)); // a later update keeps it
    expect(s.rings.size).toBe(1);
  });

  it('records the restart count the pod watch knew at each sample', async () => {
    const c = cluster();
    const { s } = sampler({ api: c.api });
    const withRestarts = (n: number) => pod({ name: 'api-0', uid: 'uid-api-0', containers: [container({ name: 'api', limit: '512Mi' })], statuses: [{ ...runningStatus('api'), restartCount: n }] });
    s.observe(raw(withRestarts(0)));
    c.set({ pod: 'api-0', at: 0, containers: { api: 400 * Mi } });
    await s.poll(signal);
    s.observe(raw(withRestarts(1)));
    c.set({ pod: 'api-0', at: 30, containers: { api: 100 * Mi } });
    await s.poll(signal);
    const row = s.pods.get('shop', 'api-0')!;
    expect(s.rings.samples(s.pods.slot(row, s.pods.find(row, 'api')))).toEqual([
      { at: t(0), workingSetBytes: 400 * Mi, restarts: 0 },
      { at: t(30), workingSetBytes: 100 * Mi, restarts: 1 },
    ]);
  });

  it('lets a ring go when its pod is deleted, when it finished, and when a relist no longer shows it', () => {
    const { s } = sampler({ api: cluster().api });
    const named = (name: string) => pod({ name, uid: `uid-${name}`, containers: [container({ name: 'app', limit: '1Gi' })], statuses: [runningStatus('app')] });
    for (const n of ['a', 'b', 'c']) s.observe(raw(named(n)), true);
    s.synced();
    expect([s.rings.size, s.pods.size]).toEqual([3, 3]);
    s.deleted(raw(named('a')));
    expect([s.rings.size, s.pods.size]).toEqual([2, 2]);
    const failed = { ...raw(named('b')), status: { phase: 'Failed', reason: 'Evicted' } };
    s.observe(failed);
    expect(s.rings.size).toBe(2); // kept until its occurrences are built
    s.finished(failed);
    expect([s.rings.size, s.pods.size]).toEqual([1, 1]);
    s.observe(failed); // seen again (a relist): a finished pod it does not know is not added
    expect(s.pods.size).toBe(1);
    s.observe(raw(named('d')), true); // a relist that shows d but not c
    s.synced();
    expect([...s.pods.all()].map((p) => p.name)).toEqual(['d']);
    expect(s.rings.size).toBe(1);
  });

  it('starts afresh for a pod of the same name with another uid (a StatefulSet replacement)', async () => {
    const c = cluster();
    const { s } = sampler({ api: c.api });
    s.observe(raw(api0));
    c.set({ pod: 'api-0', at: 0, containers: { api: 500 * Mi } });
    await s.poll(signal);
    const replacement = { ...api0, metadata: { ...api0.metadata, uid: 'uid-api-0-new' } };
    s.observe(raw(replacement));
    const row = s.pods.get('shop', 'api-0')!;
    expect(s.rings.samples(s.pods.slot(row, s.pods.find(row, 'api')))).toEqual([]);
    expect(s.rings.size).toBe(1);
    s.deleted(raw(api0)); // a late DELETED for the old uid does not take the new pod's ring
    expect(s.rings.size).toBe(1);
  });
});

describe('MemorySampler: polls', () => {
  it('follows continue tokens and leaves out namespaces it does not watch', async () => {
    const api = scriptedApi((path) =>
      path.includes('continue=') ? list([podMetrics({ namespace: 'kube-system', pod: 'api-0', at: 0, containers: { api: 1 } })]) : list([podMetrics({ pod: 'api-0', at: 0, containers: { api: 300 * Mi } })], 'page-2'),
    );
    const { s } = sampler({ api, inScope: (ns) => ns !== 'kube-system', pageSize: 1 });
    s.observe(raw(api0));
    s.observe(raw({ ...api0, metadata: { ...api0.metadata, namespace: 'kube-system' } }));
    expect(await s.poll(signal)).toEqual({ result: 'ok' });
    expect(api.asked).toEqual(['/apis/metrics.k8s.io/v1beta1/pods?limit=1', '/apis/metrics.k8s.io/v1beta1/pods?limit=1&continue=page-2']);
    expect(s.pods.get('kube-system', 'api-0')).toBeUndefined();
    const row = s.pods.get('shop', 'api-0')!;
    expect(s.pods.container(row, s.pods.find(row, 'api')).lastBytes).toBe(300 * Mi);
  });

  it('reads the same from a transport that hands the body over in pieces, and follows its pages', async () => {
    const pages: Record<string, unknown> = {
      '/apis/metrics.k8s.io/v1beta1/pods?limit=500': { kind: 'PodMetricsList', metadata: { continue: 'p2' }, items: [podMetrics({ pod: 'api-0', at: 0, containers: { api: 300 * Mi, envoy: 40 * Mi } })] },
      '/apis/metrics.k8s.io/v1beta1/pods?limit=500&continue=p2': { kind: 'PodMetricsList', metadata: {}, items: [podMetrics({ pod: 'other', at: 0, containers: { app: 1 } })] },
    };
    const asked: string[] = [];
    const api: KubeTransport = {
      ...scriptedApi(() => ({ status: 500, body: 'get is not used when read is there' })),
      read: async (path, { onChunk }) => {
        asked.push(path);
        const text = JSON.stringify(pages[path]);
        for (let i = 0; i < text.length; i += 7) onChunk(text.slice(i, i + 7));
        return { status: 200, body: undefined };
      },
    };
    const { s } = sampler({ api });
    s.observe(raw(api0));
    expect(await s.poll(signal)).toEqual({ result: 'ok' });
    expect(asked).toEqual(Object.keys(pages));
    const row = s.pods.get('shop', 'api-0')!;
    expect([...s.pods.containers(row)].map((c) => c.lastBytes)).toEqual([300 * Mi, 40 * Mi]);
  });

  it('asks each watched namespace when the forwarder is namespace-scoped', async () => {
    const api = scriptedApi(() => list([]));
    const { s } = sampler({ api, namespaces: ['shop', 'pay'] });
    await s.poll(signal);
    expect(api.asked).toEqual(['/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods?limit=500', '/apis/metrics.k8s.io/v1beta1/namespaces/pay/pods?limit=500']);
  });

  it.each([
    [404, 'absent'],
    [403, 'forbidden'],
    [503, 'failed'],
  ] as const)('tells HTTP %i apart as %s', async (status, result) => {
    const { s } = sampler({ api: scriptedApi(() => ({ status, body: { message: 'nope' } })) });
    expect(await s.poll(signal)).toEqual({ result, status, detail: 'nope' });
  });
});

describe('poll scheduling', () => {
  const o = { intervalMs: 30_000, retryMs: 300_000 };
  it.each<[string, PollResult, number, number]>([
    ['keeps a fixed rate from the start of a poll', 'ok', 1_000, 30_000],
    ['after a poll that ran past one tick, waits for the next tick instead of polling at once', 'ok', 45_000, 60_000],
    ['after a poll that ended exactly on a tick, polls on it', 'ok', 60_000, 60_000],
    ['retries a failure at the next tick', 'failed', 2_000, 30_000],
    ['leaves a missing API alone for the retry period', 'absent', 2_000, 302_000],
    ['leaves a forbidden API alone for the retry period', 'forbidden', 500, 300_500],
  ])('%s', (_, result, tookMs, expected) => {
    expect(nextPollAt(result, 0, tookMs, o)).toBe(expected);
  });

  it('runs on that schedule, says once that metrics.k8s.io is missing, and starts sampling when it appears', async () => {
    let now = 0;
    let answer: KubeResponse = { status: 404, body: { message: 'the server could not find the requested resource' } };
    const stop = new AbortController();
    const waits: number[] = [];
    const script: (() => void)[] = [
      () => undefined,
      () => undefined,
      () => (answer = list([])), // metrics-server installed meanwhile
      () => (answer = { status: 403, body: { message: 'pods.metrics.k8s.io is forbidden' } }),
      () => stop.abort(),
    ];
    const { s, lines, metrics } = sampler({
      api: scriptedApi(() => answer),
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
        script[waits.length - 1]?.();
      },
    });
    const states: string[] = [];
    const gauge = async () => (await metrics.memorySampling.get()).values.filter((v) => v.value === 1).map((v) => String(v.labels['state']));
    const polls = async () => Object.fromEntries((await metrics.memoryPolls.get()).values.map((v) => [String(v.labels['result']), v.value]));
    const check = s.check();
    expect(check).toEqual({ ok: true, detail: 'memory sampling starts once pods are listed' });
    await s.run(stop.signal);
    states.push(...(await gauge()));
    expect(waits).toEqual([300_000, 300_000, 300_000, 30_000, 300_000]);
    expect(states).toEqual(['forbidden']);
    expect(await polls()).toEqual({ absent: 3, ok: 1, forbidden: 1 });
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([
      ['info', 'memory sampling off: metrics.k8s.io is not served by this cluster; occurrences are forwarded without memory curves, and it is asked again every 5m'],
      ['info', 'sampling memory from metrics.k8s.io'],
      ['warn', "memory sampling off: not allowed to list pods.metrics.k8s.io (grant get and list on it, as the chart's ClusterRole does); occurrences are forwarded without memory curves, and it is asked again every 5m"],
    ]);
    expect(s.check()).toEqual({ ok: false, detail: 'memory sampling off: listing pods.metrics.k8s.io is forbidden (HTTP 403): pods.metrics.k8s.io is forbidden; grant get and list on pods.metrics.k8s.io; asked again every 5m' });
  });

  it('polls every interval while the API answers', async () => {
    let now = 0;
    const stop = new AbortController();
    const waits: number[] = [];
    const api = scriptedApi(() => {
      now += 2_000; // each poll takes 2 s
      return list([]);
    });
    const { s } = sampler({
      api,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
        if (waits.length === 3) stop.abort();
      },
    });
    await s.run(stop.signal);
    expect(waits).toEqual([28_000, 28_000, 28_000]);
    expect(api.asked).toHaveLength(3);
    expect(s.check()).toEqual({ ok: true, detail: 'memory of 0 containers, every 30s over 30m' });
  });
});

describe('MemorySampler: what the envelope carries', () => {
  const killedAt = at(80);
  const killed = pod({
    name: 'api-0',
    uid: 'uid-api-0',
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' }), container({ name: 'envoy' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: killedAt }, 1), runningStatus('envoy')],
  });

  it("carries the container's samples up to the kill, in order, with its limit and request, as version 2", async () => {
    const c = cluster();
    const { s } = sampler({ api: c.api });
    s.observe(raw(api0));
    for (const [i, mi] of [400, 450, 500, 180].entries()) {
      if (i === 3) s.observe(raw(killed)); // the kill at 80 s; the sample at 95 s is the next run's
      c.set({ pod: 'api-0', at: i * 30 + 5, containers: { api: mi * Mi, 'not-in-its-spec': 1, envoy: 40 * Mi } });
      await s.poll(signal);
    }
    const o = podOccurrences('prod', killed)[0]!;
    const memory = s.memoryFor(o, killed)!;
    expect(decodeSeries(memory.series)).toEqual({
      container: 'api',
      samples: [
        { at: t(5), workingSetBytes: 400 * Mi, restarts: 0 },
        { at: t(35), workingSetBytes: 450 * Mi, restarts: 0 },
        { at: t(65), workingSetBytes: 500 * Mi, restarts: 0 },
      ],
      limitBytes: 512 * Mi,
      requestBytes: 256 * Mi,
      killedAt: t(80),
    });
    const envelope = EnvelopeSchema.parse(buildEnvelope('prod', o, killed, [], new Date(t(100)), memory));
    expect(envelope.version).toBe(2);
  });

  it('carries nothing, and the envelope stays version 1, without samples', () => {
    const { s } = sampler({ api: cluster().api });
    const o = podOccurrences('prod', killed)[0]!;
    expect(s.memoryFor(o, killed)).toBeUndefined();
    expect(buildEnvelope('prod', o, killed, [], new Date(), s.memoryFor(o, killed)).version).toBe(1);
  });

  it("names the node's top users by working set above request, biggest first, at the last poll that saw the node", async () => {
    const c = cluster();
    const { s } = sampler({ api: c.api });
    const onNode = (name: string, request: string | undefined, node = 'ip-10-0-12-7') =>
      pod({ name, uid: `uid-${name}`, node, containers: [container({ name: 'app', ...(request ? { request } : {}) })], statuses: [runningStatus('app')] });
    const pods = [onNode('greedy', '100Mi'), onNode('besteffort', undefined), onNode('big-but-asked', '1Gi'), onNode('gone', '1Mi'), onNode('elsewhere', undefined, 'ip-10-0-99-1')];
    for (const p of pods) s.observe(raw(p));
    c.set({ pod: 'gone', at: 0, containers: { app: 900 * Mi } }); // seen only by an older poll
    await s.poll(signal);
    c.set(
      { pod: 'greedy', at: 60, containers: { app: 700 * Mi } },
      { pod: 'besteffort', at: 61, containers: { app: 300 * Mi } },
      { pod: 'big-but-asked', at: 60, containers: { app: 1100 * Mi } },
      { pod: 'elsewhere', at: 60, containers: { app: 5000 * Mi } },
    );
    await s.poll(signal);
    const eviction: Occurrence = { kind: 'pod-eviction', occurrenceId: 'e', occurredAt: at(70), node: 'ip-10-0-12-7', podUid: 'uid-besteffort' };
    expect(s.memoryFor(eviction, pods[1])).toEqual({
      nodeTop: [
        { namespace: 'shop', pod: 'greedy', container: 'app', workingSetBytes: 700 * Mi, requestBytes: 100 * Mi },
        { namespace: 'shop', pod: 'besteffort', container: 'app', workingSetBytes: 300 * Mi },
        { namespace: 'shop', pod: 'big-but-asked', container: 'app', workingSetBytes: 1100 * Mi, requestBytes: 1024 * Mi },
      ],
      nodeSampledAt: at(61).replace('Z', '.000Z'),
    });
  });

  it(`names at most ${MAX_NODE_MEMORY_USERS} users`, async () => {
    const c = cluster();
    const { s } = sampler({ api: c.api });
    const usages: Usage[] = [];
    for (let i = 0; i < 30; i++) {
      s.observe(raw(pod({ name: `p-${i}`, uid: `u-${i}`, containers: [container({ name: 'app' })], statuses: [] })));
      usages.push({ pod: `p-${i}`, at: 0, containers: { app: (i + 1) * Mi } });
    }
    c.set(...usages);
    await s.poll(signal);
    const nodeOom: Occurrence = { kind: 'node-oom', occurrenceId: 'n', occurredAt: at(10), node: 'ip-10-0-12-7', event: {} as never };
    expect(s.memoryFor(nodeOom, undefined)?.nodeTop?.map((u) => u.pod)).toEqual(['p-29', 'p-28', 'p-27', 'p-26', 'p-25', 'p-24', 'p-23', 'p-22', 'p-21', 'p-20']);
  });
});
