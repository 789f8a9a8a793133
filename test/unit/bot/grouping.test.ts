// Where an occurrence lands in its repeat group (bot/grouping.ts's placementOf): the first alert, a reply in the
// thread, or only the root's counter — and a retry counted in a group that has closed since never touches the open one.
import { describe, expect, it } from 'vitest';
import { MAX_THREAD_REPLIES, placementOf, type Placement } from '../../../bot/grouping.ts';
import type { RepeatGroup } from '../../../store/port.ts';

const firstAt = Date.parse('2026-11-27T10:14:03Z');
const root = { channel: 'C1', ts: '1.000001', blocks: '[{"type":"section"}]', text: 'checkout › api was OOMKilled' };
const bareRoot = { channel: 'C1', ts: '1.000001' };

describe('placementOf', () => {
  it.each<[string, RepeatGroup, Placement]>([
    ['posts the first of a group as its root', { count: 1, firstAt }, { as: 'alert', root: true }],
    ['posts a repeat whose first never appeared on its own, as the root later ones thread under', { count: 3, firstAt }, { as: 'alert', root: true }],
    ['replies in the thread and rewrites the counter', { count: 2, firstAt, message: root }, { as: 'reply', root, counter: 'update' }],
    [`still replies as the ${MAX_THREAD_REPLIES}th reply`, { count: MAX_THREAD_REPLIES + 1, firstAt, message: root }, { as: 'reply', root, counter: 'update' }],
    ['after that only moves the counter, with the latest count at most every interval', { count: MAX_THREAD_REPLIES + 2, firstAt, message: root }, { as: 'counted', root, counter: 'latest' }],
    ['replies without a counter when the root’s blocks are not known', { count: 2, firstAt, message: bareRoot }, { as: 'reply', root: bareRoot, counter: 'none' }],
    ['posts the retried first of a closed group on its own, never as the open group’s root', { count: 1, firstAt, closed: true }, { as: 'alert', root: false }],
    ['posts a retry of a closed group whose root is not known on its own, never as the open group’s root', { count: 4, firstAt, closed: true }, { as: 'alert', root: false }],
    ['replies to a retry in its closed group’s thread, leaving the counter as it is', { count: 4, firstAt, message: bareRoot, closed: true }, { as: 'reply', root: bareRoot, counter: 'none' }],
    ['counts a late retry of a closed group without touching any counter', { count: 40, firstAt, message: root, closed: true }, { as: 'counted', root, counter: 'none' }],
  ])('%s', (_, group, expected) => {
    expect(placementOf(group)).toEqual(expected);
  });
});
