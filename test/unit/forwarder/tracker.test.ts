import { describe, expect, it } from 'vitest';
import { DeliveryPosition, OccurrenceTracker } from '../../../forwarder/tracker.ts';
import type { Occurrence } from '#shared/occurrences.ts';
import { at, container, downStatus, event, pod, restartedStatus, T0 } from '../../support/k8s-factories.ts';

const horizon = Date.parse(T0) - 3_600_000;
/** Which run of its container a termination ended; undefined for other kinds (shared/occurrences.ts). */
const indexOf = (o: Occurrence) => (o.kind === 'container-termination' ? o.terminationIndex : undefined);
const oom = (restartCount: number, finishedAt = T0) => pod({ containers: [container({ name: 'api', limit: '1Gi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt }, restartCount)] });

describe('OccurrenceTracker', () => {
  it('reports a termination once, and the next one when the restart count moves', () => {
    const t = new OccurrenceTracker('c', horizon);
    const first = t.pod(oom(1));
    expect(first).toHaveLength(1);
    expect(t.pod(oom(1))).toEqual([]);
    const second = t.pod(oom(2, at(60)));
    expect(second).toHaveLength(1);
    expect(second[0]!.occurrenceId).not.toBe(first[0]!.occurrenceId);
  });

  it('gives the same id to a termination seen while the container is down and after it restarted', () => {
    const down = pod({ containers: [container({ name: 'api' })], statuses: [downStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 3)] });
    const a = new OccurrenceTracker('c', horizon).pod(down)[0]!;
    const b = new OccurrenceTracker('c', horizon).pod(oom(4))[0]!; // restarted: now in lastState with restartCount 4
    expect(indexOf(a)).toBe(3);
    expect(indexOf(b)).toBe(3);
    expect(a.occurrenceId).toBe(b.occurrenceId);
  });

  it('in a list, remembers what happened before the horizon as seen without sending it', () => {
    const t = new OccurrenceTracker('c', Date.parse(T0) + 1_000);
    expect(t.pod(oom(1), true)).toEqual([]);
    expect(t.pod(oom(1))).toEqual([]); // the watch sees the same status again: still old
    expect(t.pod(oom(2, at(60)))).toHaveLength(1);
  });

  it('in a watch event, sends a kill the kubelet reported late, even from before the horizon', () => {
    const t = new OccurrenceTracker('c', Date.parse(T0) + 1_000);
    expect(t.pod(oom(1))).toHaveLength(1);
  });

  it('sends both terminations a relist shows at once, the older first', () => {
    const both = pod({
      containers: [container({ name: 'api' })],
      statuses: [{ name: 'api', restartCount: 3, state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: at(60) } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: T0 } } }],
    });
    const sent = new OccurrenceTracker('c', horizon).pod(both, true);
    expect(sent.map((o) => [indexOf(o), o.occurredAt])).toEqual([
      [2, T0],
      [3, at(60)],
    ]);
  });

  it('gives a termination one id through down, CrashLoopBackOff and restarted', () => {
    const finished = { exitCode: 137, reason: 'OOMKilled', finishedAt: T0 };
    const views = [
      { name: 'api', restartCount: 2, state: { terminated: finished }, lastState: {} },
      { name: 'api', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: finished } },
      { name: 'api', restartCount: 3, state: { running: { startedAt: at(30) } }, lastState: { terminated: finished } },
    ].map((status) => new OccurrenceTracker('c', horizon).pod(pod({ containers: [container({ name: 'api' })], statuses: [status] }))[0]!);
    expect(new Set(views.map((o) => o.occurrenceId)).size).toBe(1);
    expect(views.map(indexOf)).toEqual([2, 2, 2]);
  });

  it('reports a pod eviction once, and forgets deleted pods', () => {
    const evicted = pod({ containers: [container({ name: 'web' })], statuses: [], status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. ', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: T0 }] } });
    const t = new OccurrenceTracker('c', horizon);
    expect(t.pod(evicted).map((o) => o.kind)).toEqual(['pod-eviction']);
    expect(t.pod(evicted)).toEqual([]);
    expect(t.trackedPods).toBe(1);
    t.podDeleted(evicted.metadata.uid!);
    expect(t.trackedPods).toBe(0);
  });

  it('reports a node OOM event per count increment', () => {
    const t = new OccurrenceTracker('c', horizon);
    const e = event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: java, pid: 1' });
    expect(t.event(e)?.kind).toBe('node-oom');
    expect(t.event(e)).toBeUndefined();
    const again = t.event({ ...e, count: 2, lastTimestamp: at(30) });
    expect(again?.kind).toBe('node-oom');
    expect(t.event(event({ reason: 'Killing', message: 'Stopping container api' }))).toBeUndefined();
  });
});

describe('OccurrenceTracker after a resumed list', () => {
  it('remembers what the delivered list shows, sends none of it, and judges later versions against it', () => {
    const t = new OccurrenceTracker('c', Date.parse(T0) + 3_600_000); // a horizon after everything: only 'delivered' matters below
    expect(t.pod(oom(1), 'delivered')).toEqual([]);
    expect(t.pod(oom(1))).toEqual([]);
    expect(t.pod(oom(2, at(60)))).toHaveLength(1);
    const e = event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: java, pid: 4242' });
    expect(new OccurrenceTracker('c', horizon).event(e)?.kind).toBe('node-oom');
    expect(t.event(e, 'delivered')).toBeUndefined();
    expect(t.event(e)).toBeUndefined();
  });
});

describe('DeliveryPosition', () => {
  it('keeps each watch at its version, or before its oldest occurrence in flight', () => {
    const p = new DeliveryPosition();
    const now = new Map<string, string | undefined>([['pods', '120'], ['events', '118'], ['quiet', undefined]]);
    expect(p.versions(now)).toEqual({ pods: '120', events: '118' });
    p.started('a', 1, { watch: 'pods', version: '100' });
    p.started('b', 2, { watch: 'pods', version: '110' });
    p.started('c', 3, { watch: 'events', version: '117' });
    p.started('warning', 4); // from the sampler, no watch
    expect(p.versions(now)).toEqual({ pods: '100', events: '117' });
    p.delivered('a');
    p.delivered('c');
    expect(p.versions(now)).toEqual({ pods: '110', events: '118' });
    // An occurrence its watch saw before it had a version (its first list from now) leaves the watch out until it is delivered.
    p.started('d', 5, { watch: 'events', version: undefined });
    expect(p.versions(now)).toEqual({ pods: '110' });
    p.delivered('b');
    p.delivered('d');
    expect(p.versions(now)).toEqual({ pods: '120', events: '118' });
  });

  it('is the oldest occurrence in flight, else what the watches have seen less a margin', () => {
    const p = new DeliveryPosition(60_000);
    expect(p.position(1_000_000)).toBe(940_000);
    p.started('a', 500_000);
    p.started('b', 700_000);
    expect(p.position(1_000_000)).toBe(500_000);
    p.delivered('a');
    expect(p.position(1_000_000)).toBe(700_000);
    p.delivered('b');
    expect(p.position(1_000_000)).toBe(940_000);
  });
});
