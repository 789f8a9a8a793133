// Which of a pod's occurrences are one death (shared/died-together.ts): a table of pods and the exact siblings.
import { describe, expect, it } from 'vitest';
import { diedTogether } from '#shared/died-together.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { at, container, downStatus, pod, restartedStatus, runningStatus } from '../support/k8s-factories.ts';

const oom = (name: string, second: number) => downStatus(name, { reason: 'OOMKilled', exitCode: 137, finishedAt: at(second) });
const podOf = (statuses: object[], status?: Pod['status']) => pod({ name: 'batch-0', containers: statuses.map((s) => container({ name: (s as { name: string }).name, limit: '256Mi' })), statuses, ...(status ? { status } : {}) });

/** The containers (or "eviction") that died with `name`'s occurrence. */
function siblingsOf(p: Pod, name: string): string[] {
  const self = podOccurrences('prod-eu', p).find((o) => o.kind === (name === 'eviction' ? 'pod-eviction' : 'container-termination') && (o.kind !== 'container-termination' || o.container === name))!;
  return diedTogether('prod-eu', p, self).map((o) => (o.kind === 'container-termination' ? o.container : 'eviction'));
}

describe('diedTogether', () => {
  const cases: { name: string; pod: Pod; self: string; want: string[] }[] = [
    { name: 'twelve containers killed in the same second', pod: podOf(Array.from({ length: 12 }, (_, i) => oom(`c${i}`, 0))), self: 'c5', want: ['c0', 'c1', 'c2', 'c3', 'c4', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11'] },
    { name: 'deaths up to 5 s apart, oldest first', pod: podOf([oom('late', 5), oom('early', -5), oom('self', 0)]), self: 'self', want: ['early', 'late'] },
    { name: 'not a death 6 s later', pod: podOf([oom('a', 0), oom('b', 6)]), self: 'a', want: [] },
    { name: 'not a container still running', pod: podOf([oom('a', 0), runningStatus('b')]), self: 'a', want: [] },
    { name: 'not an earlier run of a restarted container', pod: podOf([oom('a', 600), restartedStatus('b', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(0) }, 1)]), self: 'a', want: [] },
    {
      name: "an eviction and every container it stopped, however long the grace period, but not an OOM from before it",
      pod: podOf([oom('web', 40), oom('sidecar', 2), restartedStatus('old', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(-600) }, 1)], { phase: 'Failed', reason: 'Evicted', conditions: [{ type: 'DisruptionTarget', status: 'True', lastTransitionTime: at(0) }] } as Pod['status']),
      self: 'web',
      want: ['eviction', 'sidecar'],
    },
  ];
  for (const c of cases) {
    it(`${c.name}`, () => expect(siblingsOf(c.pod, c.self)).toEqual(c.want));
  }

  it('gives the eviction its containers, and each container the eviction', () => {
    const evicted = podOf([oom('web', 1), oom('sidecar', 1)], { phase: 'Failed', reason: 'Evicted', conditions: [{ type: 'DisruptionTarget', status: 'True', lastTransitionTime: at(0) }] } as Pod['status']);
    expect(siblingsOf(evicted, 'eviction').sort()).toEqual(['sidecar', 'web']);
    expect(siblingsOf(evicted, 'sidecar')).toEqual(['eviction', 'web']);
  });
});
