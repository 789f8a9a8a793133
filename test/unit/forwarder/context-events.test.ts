import { describe, expect, it } from 'vitest';
import { ContextEvents } from '../../../forwarder/context-events.ts';
import { event } from '../../support/k8s-factories.ts';

const podEvent = (uid: string, i: number, at: string) => event({ reason: 'Killing', message: `m${i}`, at, on: { kind: 'Pod', name: `p-${uid}`, namespace: 'ns', uid } });

describe('ContextEvents', () => {
  it('keeps a few recent events per pod and node, newest last', () => {
    const now = Date.parse('2026-11-27T10:30:00Z');
    const c = new ContextEvents(() => now, { perObject: 2, objects: 10, ttlMs: 3_600_000 });
    for (let i = 0; i < 4; i++) c.add(podEvent('a', i, `2026-11-27T10:1${i}:00Z`));
    c.add(event({ reason: 'SystemOOM', message: 'System OOM encountered', at: '2026-11-27T10:20:00Z' }));
    expect(c.related('a', 'ip-10-0-12-7').map((e) => e.message)).toEqual(['m2', 'm3', 'System OOM encountered']);
  });

  it('stays bounded: at most `objects` keys, and expired ones are dropped as new events arrive', () => {
    let now = Date.parse('2026-11-27T10:00:00Z');
    const c = new ContextEvents(() => now, { perObject: 2, objects: 3, ttlMs: 60_000 });
    for (let i = 0; i < 10; i++) c.add(podEvent(`u${i}`, i, new Date(now).toISOString()));
    expect(c.size).toBe(3);
    now += 120_000;
    c.add(podEvent('fresh', 99, new Date(now).toISOString()));
    expect(c.size).toBe(1);
  });
});
