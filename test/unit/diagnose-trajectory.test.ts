// The diagnosis with the forwarder's memory samples (docs/domain.md §14; issue 12 item 3): Kubernetes objects and a
// sampled series in, the exact verdict out — the curve's evidence, a limit sized from its peak and slope, the action
// that answers leak or load, and the trajectory renderers draw. Without samples, nothing changes.
import path from 'node:path';
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../bot/alert.ts';
import { inputFromDump, readDump } from '../../cli/dump-input.ts';
import { diagnose } from '#shared/diagnose.ts';
import { memoryInput, type DiagnosisInput } from '#shared/diagnosis-input.ts';
import type { NodeMemoryUser } from '#shared/envelope.ts';
import { decodeSeries, encodeSeries, type MemorySeries } from '#shared/memory-series.ts';
import { GiB, MiB } from '#shared/quantity.ts';
import { roundUpToStep } from '#shared/recommend-limit.ts';
import { VerdictSchema, type Verdict } from '#shared/verdict.ts';
import { at, container, downStatus, event, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { bursts, climb, makeSeries, steady, stepUp, type SeriesSpec } from '../support/memory-series.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** Every series below ends 20 s before this kill: the termination's finishedAt, which the series itself leaves out. */
const KILL = Date.UTC(2026, 0, 15, 11, 0, 0);

/** A series drawn by the shape, moved in time so its last sample is 20 s before the kill; without killedAt. */
function before(spec: Omit<SeriesSpec, 'killedAfterSeconds'>, kill = KILL): MemorySeries {
  const s = makeSeries(spec);
  const shift = kill - 20_000 - s.samples.at(-1)!.at;
  return { ...s, samples: s.samples.map((x) => ({ ...x, at: x.at + shift })) };
}

const oomKilled = { reason: 'OOMKilled', exitCode: 137, finishedAt: iso(KILL) };
const limitPod = pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', oomKilled, 4)] });
const limitKill = (series: MemorySeries | undefined, more: Partial<DiagnosisInput> = {}): DiagnosisInput => ({ pod: limitPod, node: node(), events: [], ...(series ? { memory: { series } } : {}), ...more });

interface Row {
  name: string;
  series: MemorySeries;
  want: { kind: string; memoryLimit: string; capped?: boolean; action: string; rationale?: RegExp };
  evidence: RegExp;
}

const rows: Row[] = [
  {
    name: 'a leak in one run: sized from the limit it reached, and how long a higher one lasts at its slope',
    series: before({ minutes: 30, level: climb(380, 4), noiseMi: 2 }),
    want: {
      kind: 'leak',
      memoryLimit: '640Mi',
      action:
        'Leak-like: memory climbed 4 MiB/min for 29 min without falling back (one run: load that only grows looks the same). Find what keeps growing (a heap profile before the next kill). A higher limit only buys time: at 4 MiB/min, 640Mi lasts ~32 min longer.',
      rationale: /^it reached its 512Mi limit when killed \(the highest of 60 samples over 30 min was 499\.3Mi\); the killed limit \+ 25 %, krr's floor after an OOM: 640Mi; fits node ip-10-0-12-7's 14Gi allocatable \(other pods' requests not seen\); a higher limit only buys time: at 4 MiB\/min, 640Mi lasts ~32 min longer$/,
    },
    evidence: /^working set rose 4 MiB\/min for 29 min before the kill, without falling back \(one run, R² 1\.00\) \(60 samples over 30 min\)$/,
  },
  {
    name: 'a leak across restarts is called one, not "leak-like"',
    series: before({ minutes: 45, level: climb(150, 20), noiseMi: 3, restartsAt: [15, 30] }),
    want: {
      kind: 'leak',
      memoryLimit: '640Mi',
      action:
        'A leak, not load: memory climbed 19.9 MiB/min, across 2 restarts, and never gave any back. Find what keeps growing (a heap profile before the next kill). A higher limit only buys time: at 19.9 MiB/min, 640Mi lasts ~6 min longer.',
    },
    evidence: /^working set rose 19\.9 MiB\/min for 15 min before the kill; the 2 runs before it climbed alike \(19\.9–20\.1 MiB\/min\) \(90 samples over 45 min\)$/,
  },
  {
    name: 'a spike just before the kill: says how much and how fast, and to find what allocates it',
    series: before({ minutes: 30, level: (m) => (m.minute >= 29.5 ? 480 : 250), noiseMi: 3 }),
    want: {
      kind: 'spike',
      memoryLimit: '640Mi',
      action:
        'Memory jumped 226.6Mi within 30 s just before the kill: find what allocates that much at once (one large request, a batch, a cache fill). If such bursts are normal, raise the limit to 640Mi (+25 % from 60 samples over 30 min; fits the node).',
    },
    evidence: /^working set jumped from 255Mi to 481\.6Mi \(94 % of the 512Mi limit\) within 30 s, 20 s before the kill, after holding near 251\.1Mi \(60 samples over 30 min\)$/,
  },
  {
    name: 'killed at the limit from far below it: a spike the sampling could not see',
    series: before({ minutes: 30, level: steady(210), noiseMi: 3 }),
    want: {
      kind: 'spike',
      memoryLimit: '640Mi',
      action:
        'Memory rose 300.4Mi to the limit within 20 s, faster than the sampling saw: find what allocates that much at once (one large request, a batch, a cache fill). If such bursts are normal, raise the limit to 640Mi (+25 % from 60 samples over 30 min; fits the node).',
    },
    evidence: /^last sampled at 211\.6Mi \(41 % of the 512Mi limit\) 20 s before the kill at the limit: it got there faster than the 30 s sampling could see \(60 samples over 30 min\)$/,
  },
  {
    name: 'a plateau at the limit: it needs room, raise it',
    series: before({ minutes: 25, level: (m) => (m.minute < 10 ? 300 + 19.5 * m.minute : 497), noiseMi: 4 }),
    want: { kind: 'plateau', memoryLimit: '640Mi', action: 'Memory sat at the limit for 16 min before the kill: it needs more room. Raise the limit to 640Mi (+25 % from 50 samples over 25 min; fits the node).' },
    evidence: /^working set sat at 472\.6Mi–505\.8Mi \(92–99 % of the 512Mi limit\) for 16 min before the kill, after climbing from 305\.6Mi \(50 samples over 25 min\)$/,
  },
  {
    name: 'bursts that fall back with the work, killed at the top of one: load, raise it',
    series: before({ minutes: 33, level: bursts(250, 505, 10, 6), noiseMi: 3 }),
    want: { kind: 'load', memoryLimit: '640Mi', action: 'Load, not a leak: memory rose and fell back with the work. Raise the limit to 640Mi (+25 % from 66 samples over 33 min; fits the node).' },
    evidence: /^working set rose and fell back 3 times between 243\.8Mi and 503\.6Mi \(98 % of the 512Mi limit\): memory that follows the work, not a leak \(66 samples over 33 min\)$/,
  },
  {
    name: 'a step up that held: load, raise it',
    series: before({ minutes: 30, level: stepUp(200, 440, 10), noiseMi: 3 }),
    want: { kind: 'load', memoryLimit: '640Mi', action: 'Load, not a leak: memory stepped up and held. Raise the limit to 640Mi (+25 % from 60 samples over 30 min; fits the node).' },
    evidence: /^working set stepped from 204\.2Mi up to 446\.6Mi and held at 441\.6Mi \(86 % of the 512Mi limit\): growth that levels off, not a steady climb \(60 samples over 30 min\)$/,
  },
  {
    name: 'a leak on a node with room for 600Mi: capped, and the time bought shrinks',
    series: before({ minutes: 30, level: climb(380, 4), noiseMi: 2 }),
    want: { kind: 'leak', memoryLimit: '576Mi', capped: true, action: expect.stringMatching(/ A higher limit only buys time: at 4 MiB\/min, 576Mi lasts ~16 min longer\.$/) as unknown as string, rationale: /; capped at node ip-10-0-12-7's 600Mi allocatable \(other pods' requests not seen\) \(640Mi wanted\); / },
    evidence: /^working set rose 4 MiB\/min for 29 min before the kill/,
  },
];

describe('diagnose with the memory before the kill', () => {
  it.each(rows)('$name', ({ name, series, want, evidence }) => {
    const input = limitKill(series, name.includes('600Mi') ? { node: node({ allocatable: '600Mi' }) } : {});
    const v = VerdictSchema.parse(diagnose(input));
    expect(v).toMatchObject({ cause: 'limit', kind: 'container-limit', action: want.action, recommendation: { memoryLimit: want.memoryLimit, capped: want.capped ?? false } });
    expect(v.recommendation!.rationale).toMatch(want.rationale ?? /^it reached its 512Mi limit when killed \(the highest of \d+ samples over \d+ min was \d+(\.\d)?Mi\); the killed limit \+ 25 %, krr's floor after an OOM: 640Mi; fits node /);
    // The curve's line, once, after the finding's own; and the trajectory a renderer draws from.
    const lines = v.evidence.filter((e) => evidence.test(e));
    expect(lines).toHaveLength(1);
    expect(v.trajectory!.curve).toMatchObject({ kind: want.kind, evidence: lines[0] });
    // The series as it came, completed from the pod: the kill from finishedAt, the limit and request from the spec.
    expect(decodeSeries(v.trajectory!.series)).toEqual({ ...series, killedAt: KILL, limitBytes: 512 * MiB, requestBytes: 256 * MiB });
    expect(v.unseen).toEqual([]);
    // The alert shows the same: the action with the curve's answer, the curve's line under Evidence.
    const alert = JSON.stringify(renderAlert(v, { cluster: 'prod-eu', incidentId: 'inc-1', occurredAt: iso(KILL) }).blocks);
    expect(alert).toContain(JSON.stringify(lines[0]).slice(1, 40));
    expect(alert).not.toContain('suspect a leak first');
  });

  it('keeps the kill the forwarder gave, and its limit when the pod has none of its own to say', () => {
    const series = { ...before({ minutes: 30, level: climb(380, 4), noiseMi: 2 }), killedAt: KILL - 10_000, limitBytes: 1 * GiB };
    const v = diagnose(limitKill(series));
    expect(decodeSeries(v.trajectory!.series)).toMatchObject({ killedAt: KILL - 10_000, limitBytes: 512 * MiB });
  });

  it('too few samples: the +25 % rule as without them, the same words, and "too few" under Not seen', () => {
    const series = before({ minutes: 2.5, level: steady(200) });
    const without = diagnose(limitKill(undefined));
    const v = diagnose(limitKill(series));
    expect(v.recommendation).toEqual(without.recommendation);
    expect(v.recommendation!.rationale).toBe("+25 % over the 512Mi limit it died at (VPA adds 20 % or 100Mi after an OOM, krr 25 %); fits node ip-10-0-12-7's 14Gi allocatable (other pods' requests not seen)");
    expect([v.headline, v.summary, v.action, v.evidence]).toEqual([without.headline, without.summary, without.action, without.evidence]);
    expect(v.action).toBe('If load grew, raise the limit to 640Mi (+25 %; fits the node); if memory climbs steadily after each restart, suspect a leak first.');
    expect(v.unseen).toEqual([...without.unseen!, { source: 'memory-samples', reason: 'too-few', detail: '5 samples over 2 min; at least 8 over 4 min needed' }]);
    expect(v.missing).toEqual([...without.missing, "the container's memory before the kill (the forwarder's samples): too few to tell (5 samples over 2 min; at least 8 over 4 min needed)"]);
    // Still drawn: five points are worth a look, and the curve says why they decide nothing.
    expect(v.trajectory!.curve.kind).toBe('too-few');
  });

  it('a container with no limit killed by a node OOM gets one sized from its sampled peak', () => {
    const reports = pod({ name: 'reports', namespace: 'analytics', containers: [container({ name: 'reports', request: '512Mi' })], statuses: [restartedStatus('reports', oomKilled, 1)] });
    const systemOom = event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: python3, pid: 31337', at: iso(KILL + 2000) });
    const series = before({ minutes: 30, level: steady(1500), noiseMi: 10, container: 'reports' });
    const v = diagnose({ pod: reports, node: node(), events: [systemOom], memory: { series } });
    expect(v).toMatchObject({ cause: 'node-pressure', kind: 'node-oom', recommendation: { memoryLimit: '1920Mi', capped: false } });
    expect(v.recommendation!.rationale).toMatch(/^its working set peaked at 1\.5Gi \(the highest of 60 samples over 30 min\); \+20 %, VPA's bump after an OOM: 1920Mi; fits node/);
    expect(v.action).toBe('Give it a memory limit of 1920Mi (peak + 26 % from 60 samples over 30 min; fits the node) and a realistic request; check what else on ip-10-0-12-7 grew.');
    // Without the samples it had only its 512Mi request to go by.
    expect(diagnose({ pod: reports, node: node(), events: [systemOom] }).recommendation!.memoryLimit).toBe('640Mi');
  });
});

describe('node pressure with the node’s top users', () => {
  const user = (namespace: string, p: string, c: string, workingSet: number, request?: number): NodeMemoryUser => ({ namespace, pod: p, container: c, workingSetBytes: workingSet, ...(request !== undefined ? { requestBytes: request } : {}) });
  const top = [
    user('shop', 'web-5c7d8f6b9-m4tzr', 'web', 1.8 * GiB, 512 * MiB),
    user('shop', 'checkout-7d9f8b6c5-x2k9d', 'api', 1.4 * GiB, 512 * MiB),
    user('analytics', 'reports-0', 'reports', 900 * MiB),
    user('kube-system', 'coredns-5d78c9869d-abcde', 'coredns', 60 * MiB, 70 * MiB),
  ];
  const sampledAt = '2026-11-27T10:13:30Z';

  it('names the pods most above their requests in the evidence of an eviction, this pod marked', () => {
    const evicted = pod({
      name: 'web-5c7d8f6b9-m4tzr',
      containers: [container({ name: 'web', limit: '4Gi', request: '512Mi' })],
      statuses: [downStatus('web', { reason: 'Error', exitCode: 137 })],
      status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 89Mi. Container web was using 1.8Gi, request is 512Mi, has larger consumption of memory. ' },
    });
    const input: DiagnosisInput = { pod: evicted, node: node({ memoryPressure: true }), events: [] };
    const without = diagnose(input);
    const v = diagnose({ ...input, memory: { nodeTop: top, nodeSampledAt: sampledAt } });
    expect(v.kind).toBe('eviction');
    expect(v.evidence).toEqual([
      ...without.evidence,
      "most above their requests on node ip-10-0-12-7 at 10:13:30 UTC (the forwarder's last sample): shop/web-5c7d8f6b9-m4tzr › web (this pod) used 1.8Gi over its 512Mi request; shop/checkout-7d9f8b6c5-x2k9d › api used 1.4Gi over its 512Mi request; analytics/reports-0 › reports used 900Mi with no request",
    ]);
    expect(v.trajectory).toBeUndefined();
  });

  it('puts the others in the summary and the action when the parent cgroup ran out', () => {
    const search = pod({ deployment: 'search', containers: [container({ name: 'search', limit: '4Gi', request: '2Gi' })], statuses: [restartedStatus('search', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    const kernel =
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=cri-containerd-9f2.scope,mems_allowed=0,oom_memcg=/kubepods.slice,task_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b6a1c8e_3f4d_4c7a_9a51_2d8e6f1b9c30.slice/cri-containerd-9f2.scope,task=java,pid=4321,uid=1000 Memory cgroup out of memory: Killed process 4321 (java) total-vm:6123456kB, anon-rss:1048576kB, file-rss:2048kB, shmem-rss:0kB, UID:1000 pgtables:4096kB oom_score_adj:969';
    const v = diagnose({ pod: search, node: node(), events: [event({ reason: 'OOMKilling', message: kernel, source: 'kernel-monitor', at: at(1) })], memory: { nodeTop: top } });
    expect(v.kind).toBe('kubepods-oom');
    expect(v.summary).toBe(
      "The kernel killed it inside a parent cgroup (the pods' share of ip-10-0-12-7) that ran out, while the process it killed used 1Gi: other pods most likely pushed the node past what the kubelet reserves for pods; most above their requests: shop/web-5c7d8f6b9-m4tzr › web used 1.8Gi over its 512Mi request; shop/checkout-7d9f8b6c5-x2k9d › api used 1.4Gi over its 512Mi request; analytics/reports-0 › reports used 900Mi with no request.",
    );
    expect(v.action).toBe(
      "Set requests close to real usage on the pods of ip-10-0-12-7, first shop/web-5c7d8f6b9-m4tzr, shop/checkout-7d9f8b6c5-x2k9d and analytics/reports-0 (most above their requests) so they are not over-packed; raising this container's limit is unlikely to help.",
    );
    expect(v.evidence.at(-1)).toMatch(/^most above their requests on node ip-10-0-12-7 \(the forwarder's last sample\): shop\/web-5c7d8f6b9-m4tzr › web used 1\.8Gi/);
  });

  it('says nothing of the node’s users for a kill at the container’s own limit', () => {
    expect(JSON.stringify(diagnose(limitKill(undefined, { memory: { nodeTop: top } })))).toBe(JSON.stringify(diagnose(limitKill(undefined))));
  });
});

describe('without samples nothing changes', () => {
  const dir = path.join(import.meta.dirname, '../fixtures/kubectl/realistic');
  const cases = async (): Promise<[string, DiagnosisInput][]> => {
    const out: [string, DiagnosisInput][] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      // The malformed files the CLI's tests feed it (m*.json) hold no input to diagnose.
      const dump = await readDump([path.join(dir, file)]).catch(() => undefined);
      if (!dump) continue;
      for (const p of dump.pods) out.push([`${file} ${p.metadata.name}`, inputFromDump(dump, p.metadata.namespace, p.metadata.name!)]);
    }
    return out;
  };
  const verdict = (input: DiagnosisInput): string | undefined => {
    try {
      return JSON.stringify(diagnose(input));
    } catch (error) {
      return `throws ${(error as Error).message}`;
    }
  };

  it('gives every realistic dump the same verdict, byte for byte, with an empty memory part or samples of another container', async () => {
    const all = await cases();
    expect(all.length).toBeGreaterThan(40);
    for (const [name, input] of all) {
      const plain = verdict(input);
      const other: MemorySeries = { ...before({ minutes: 30, level: climb(100, 3) }), container: 'not-this-container' };
      expect({ name, verdict: verdict({ ...input, memory: {} }) }).toEqual({ name, verdict: plain });
      expect({ name, verdict: verdict({ ...input, memory: { series: other } }) }).toEqual({ name, verdict: plain });
      expect(plain).not.toContain('trajectory');
    }
  });

  it('reads an envelope without memory as no memory, and one it cannot decode as a line under Not seen', () => {
    expect(memoryInput(undefined)).toEqual({ unavailable: [] });
    const series = before({ minutes: 30, level: climb(380, 4) });
    expect(memoryInput({ series: encodeSeries(series) })).toEqual({ memory: { series }, unavailable: [] });
    const broken = { ...encodeSeries(series), w: encodeSeries(series).w.slice(0, -3) };
    const read = memoryInput({ series: broken, nodeTop: [] });
    expect(read).toEqual({ memory: { nodeTop: [] }, unavailable: [{ source: 'memory-samples', reason: 'failed', detail: 'sent in a form this version cannot read' }] });
    const v: Verdict = diagnose({ ...limitKill(undefined), ...read });
    expect(v.missing).toContain("the container's memory before the kill (the forwarder's samples): sent in a form this version cannot read");
    expect(v.trajectory).toBeUndefined();
  });
});

describe('a limit sized from the curve', () => {
  // Any shape a container can draw in 5 to 60 minutes: a climb or a fall from anywhere, noise, restarts; a limit kill
  // (never above the limit, which the kernel enforces) or a node OOM of a container with no limit.
  const arbitrary = fc.record({
    minutes: fc.integer({ min: 5, max: 60 }),
    fromMi: fc.integer({ min: 10, max: 6000 }),
    slopeMi: fc.double({ min: -20, max: 60, noNaN: true }),
    noiseMi: fc.integer({ min: 0, max: 40 }),
    restartsAt: fc.array(fc.integer({ min: 1, max: 59 }), { maxLength: 3 }),
    limitMi: fc.integer({ min: 64, max: 8192 }),
    requestFraction: fc.double({ min: 0.1, max: 1, noNaN: true }),
    allocatableMi: fc.integer({ min: 128, max: 32768 }),
    seed: fc.integer({ min: 1, max: 1000 }),
    atLimit: fc.boolean(),
  });

  it('is never below the observed peak, and above the node cap only when capped and the least it can be', () => {
    fc.assert(
      fc.property(arbitrary, (r) => {
        const requestMi = Math.max(1, Math.round(r.limitMi * r.requestFraction));
        const level = (m: { sinceStart: number }) => {
          const mi = Math.max(1, r.fromMi + r.slopeMi * m.sinceStart);
          return r.atLimit ? Math.min(mi, r.limitMi * 0.98) : mi;
        };
        const name = r.atLimit ? 'api' : 'reports';
        const series = before({ minutes: r.minutes, level, noiseMi: r.noiseMi, restartsAt: r.restartsAt.filter((x) => x < r.minutes), seed: r.seed, container: name });
        const spec = container({ name, ...(r.atLimit ? { limit: `${r.limitMi}Mi` } : {}), request: `${requestMi}Mi` });
        const p = pod({ deployment: 'checkout', containers: [spec], statuses: [restartedStatus(name, oomKilled, 1)] });
        const events = r.atLimit ? [] : [event({ reason: 'SystemOOM', message: 'System OOM encountered', at: iso(KILL + 2000) })];
        const v = diagnose({ pod: p, node: node({ allocatable: `${r.allocatableMi}Mi` }), events, memory: { series } });
        const curve = v.trajectory!.curve;
        if (curve.kind === 'too-few') return;
        const bytes = v.recommendation!.memoryLimitBytes!;
        const cap = r.allocatableMi * MiB;
        const current = r.atLimit ? r.limitMi * MiB : 0;
        expect(bytes).toBeGreaterThanOrEqual(curve.peakBytes);
        expect(bytes).toBeGreaterThanOrEqual(current);
        // Above the cap only when capped, and then no more than it already had or was seen using.
        const least = Math.max(current, roundUpToStep(curve.peakBytes));
        expect(bytes <= cap || (v.recommendation!.capped && bytes === least), `${bytes} over the ${cap} cap: capped ${v.recommendation!.capped}, least ${least}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
