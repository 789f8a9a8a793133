// The storm root's header says what happened to every group in it: "OOMKilled or evicted" only when each group was
// killed at its limit or evicted under node pressure, "died or were evicted" as soon as one was not (a JVM's own heap
// limit, a liveness kill).
import { describe, expect, it } from 'vitest';
import { renderStorm } from '../../../bot/storms.ts';
import type { Storm } from '../../../store/storms.ts';

const T0 = Date.parse('2026-11-30T01:00:00Z');

function storm(causes: string[], beforeCauses: string[] = []): Storm {
  return {
    startedAt: T0,
    lastAt: T0 + 60_000,
    openedBy: 'occ-1',
    before: beforeCauses.length,
    beforeCauses: beforeCauses.map((cause) => ({ cause })),
    beforeGroups: [],
    groups: causes.map((cause, i) => ({ key: `repeat/prod-eu/shop/deploy/app-${i}/api`, firstAt: T0 + i, lastAt: T0 + i, count: 1, cause, label: `shop/deploy/app-${i} › api` })),
  };
}

function header(s: Storm): string {
  const block = renderStorm(s, { now: T0 + 120_000 }).blocks[0] as { text: { text: string } };
  return block.text.text;
}

describe('renderStorm header', () => {
  const cases: [string, Storm, string][] = [
    ['all at their limits', storm(['limit', 'limit', 'limit']), '🔴 3 workloads in prod-eu OOMKilled or evicted in 1 min'],
    ['limits and evictions', storm(['node-pressure', 'node-pressure', 'limit']), '🟠 3 workloads in prod-eu OOMKilled or evicted in 1 min'],
    ['a runtime death among them', storm(['limit', 'limit'], ['runtime']), '🔴 3 workloads in prod-eu died or were evicted in 1 min'],
    ['a liveness kill opened its own alert before', storm(['limit', 'limit', 'limit'], ['not-oom']), '🔴 4 workloads in prod-eu died or were evicted in 1 min'],
  ];
  it.each(cases)('%s', (_, s, expected) => {
    expect(header(s)).toBe(expected);
  });
});
