// What every Store must do (store/port.ts), run against each implementation: DynamoStore on dynalite and the local
// mode's FileStore give the same answers, including when concurrent calls race for the same "only once".
import { beforeEach, describe, expect, it } from 'vitest';
import type { Incident, Store } from '../../store/port.ts';
import type { StormOccurrence } from '../../store/storms.ts';
import { limitVerdict } from './verdicts.ts';

/** The time the contract's calls pass as `now`; a store with a clock of its own should be given this one. */
export const contractNow = Date.parse('2026-11-27T10:14:03Z');
const now = contractNow;
const minute = 60_000;

const VERDICT = limitVerdict();
const incident = (n: number, namespace: string, overrides: Partial<Incident> = {}): Incident => ({
  incidentId: `inc-${n}`,
  occurrenceId: `term-${n}`,
  cluster: 'prod-eu',
  namespace,
  workload: 'Deployment/checkout',
  container: 'api',
  cause: 'limit',
  kind: 'container-limit',
  headline: `checkout › api was OOMKilled (${n})`,
  occurredAt: new Date(now + n * minute).toISOString(),
  message: { channel: 'C1', ts: `1.00000${n}` },
  verdict: VERDICT,
  ...overrides,
});

/** Runs the contract with a fresh, empty store per test from `makeStore`. */
export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`${name} keeps the Store contract`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('claims an occurrence once, even when ten invocations race for it', async () => {
      const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimOccurrence('term-race', now)));
      expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
      expect(await store.claimOccurrence('term-race', now + 1)).toBe('duplicate');
    });

    it('lets a claim left by an invocation that died be taken again after two minutes, but not before', async () => {
      expect(await store.claimOccurrence('term-timed-out', now)).toBe('claimed');
      expect(await store.claimOccurrence('term-timed-out', now + 60_000)).toBe('duplicate');
      expect(await store.claimOccurrence('term-timed-out', now + 121_000)).toBe('claimed');
      await store.markOccurrencePosted('term-timed-out', { channel: 'C1', ts: '1.000009' });
      expect(await store.claimOccurrence('term-timed-out', now + 600_000)).toBe('duplicate');
    });

    it('gives an unposted claim back for the retry, but never a posted one', async () => {
      expect(await store.claimOccurrence('term-failed-post', now)).toBe('claimed');
      await store.releaseOccurrence('term-failed-post');
      expect(await store.claimOccurrence('term-failed-post', now)).toBe('claimed');
      await store.markOccurrencePosted('term-failed-post', { channel: 'C1', ts: '1.000001' });
      await store.releaseOccurrence('term-failed-post');
      expect(await store.claimOccurrence('term-failed-post', now)).toBe('duplicate');
    });

    it('claims a click once, even when five deliveries race for it, and for good: a dead run is answered by clicking again', async () => {
      const claims = await Promise.all(Array.from({ length: 5 }, () => store.claimClick('inc-1/1764238443.000100/U1', now)));
      expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
      expect(await store.claimClick('inc-1/1764238443.000100/U1', now + 10 * minute)).toBe('duplicate');
      expect(await store.claimClick('inc-1/1764238443.000100/U2', now)).toBe('claimed');
    });

    it('keeps click claims and occurrence claims apart: the same id is one of each', async () => {
      expect(await store.claimOccurrence('same-id', now)).toBe('claimed');
      expect(await store.claimClick('same-id', now)).toBe('claimed');
      expect(await store.claimClick('other-id', now)).toBe('claimed');
      expect(await store.claimOccurrence('other-id', now)).toBe('claimed');
      await store.releaseOccurrence('other-id');
      expect(await store.claimClick('other-id', now)).toBe('duplicate');
    });

    it('counts repeats within the window into one group that remembers its first message', async () => {
      const first = await store.recordRepeat('prod/shop/deploy/checkout/api/limit', now, 60 * minute);
      expect(first).toEqual({ count: 1, firstAt: now });
      await store.setRepeatMessage('prod/shop/deploy/checkout/api/limit', { channel: 'C1', ts: '1.000002' });
      await store.setRepeatMessage('prod/shop/deploy/checkout/api/limit', { channel: 'C1', ts: '9.999999' }); // the first stays
      const second = await store.recordRepeat('prod/shop/deploy/checkout/api/limit', now + 10 * minute, 60 * minute);
      expect(second).toEqual({ count: 2, firstAt: now, message: { channel: 'C1', ts: '1.000002' } });
      // Quiet for longer than the window: the next one opens a new group (a new message, not a reply in an old thread).
      const later = await store.recordRepeat('prod/shop/deploy/checkout/api/limit', now + 80 * minute, 60 * minute);
      expect(later).toEqual({ count: 1, firstAt: now + 80 * minute });
    });

    it('keeps the blocks and text of a group\'s first message, to re-post it with a new counter', async () => {
      await store.recordRepeat('with-blocks', now, 60 * minute);
      expect(await store.repeatMessage('with-blocks')).toBeUndefined();
      await store.setRepeatMessage('with-blocks', { channel: 'C1', ts: '1.000003', blocks: '[{"type":"section"}]', text: 'checkout › api was OOMKilled' });
      expect(await store.repeatMessage('with-blocks')).toEqual({ channel: 'C1', ts: '1.000003', blocks: '[{"type":"section"}]', text: 'checkout › api was OOMKilled' });
    });

    it('keeps the occurrence ids a group\'s message lists in a field of their own, apart from its text', async () => {
      await store.recordRepeat('together/prod-eu/uid-1', now, 5_000, 'term-a');
      await store.setRepeatMessage('together/prod-eu/uid-1', { channel: 'C1', ts: '1.000007', listed: ['term-a', 'term-b', 'term-c'] });
      expect(await store.repeatMessage('together/prod-eu/uid-1')).toEqual({ channel: 'C1', ts: '1.000007', listed: ['term-a', 'term-b', 'term-c'] });
      // A sibling counted after it finds the list on the group's message.
      expect((await store.recordRepeat('together/prod-eu/uid-1', now + 1, 5_000, 'term-b')).message).toEqual({ channel: 'C1', ts: '1.000007', listed: ['term-a', 'term-b', 'term-c'] });
    });

    it('replaces the root blocks of a group once redrawn, and nothing for a group without a message', async () => {
      await store.recordRepeat('handled', now, 60 * minute);
      await store.setRepeatMessage('handled', { channel: 'C1', ts: '1.000006', blocks: '[{"type":"actions"}]', text: 'alert' });
      await store.replaceRepeatBlocks('handled', '[{"type":"context"}]');
      expect(await store.repeatMessage('handled')).toEqual({ channel: 'C1', ts: '1.000006', blocks: '[{"type":"context"}]', text: 'alert' });
      await store.recordRepeat('no-message', now, 60 * minute);
      await store.replaceRepeatBlocks('no-message', '[]');
      expect(await store.repeatMessage('no-message')).toBeUndefined();
    });

    it('forgets the old message and counter slot when a group that went quiet opens anew', async () => {
      await store.recordRepeat('reopened', now, 60 * minute);
      await store.setRepeatMessage('reopened', { channel: 'C1', ts: '1.000004' });
      expect(await store.reserveCounterUpdate('reopened', now, 10_000)).toBe(now);
      expect(await store.recordRepeat('reopened', now + 80 * minute, 60 * minute)).toEqual({ count: 1, firstAt: now + 80 * minute });
      expect(await store.repeatMessage('reopened')).toBeUndefined();
      // A day-long interval would put the slot a day off if the old group's last update were still remembered.
      expect(await store.reserveCounterUpdate('reopened', now + 80 * minute, 24 * 60 * minute)).toBe(now + 80 * minute);
      await store.setRepeatMessage('reopened', { channel: 'C2', ts: '2.000004' });
      expect(await store.repeatMessage('reopened')).toEqual({ channel: 'C2', ts: '2.000004' });
    });

    it('sets no message and hands out no counter update for a group that was never opened', async () => {
      await store.setRepeatMessage('never-opened', { channel: 'C1', ts: '1.000005' });
      expect(await store.repeatMessage('never-opened')).toBeUndefined();
      expect(await store.reserveCounterUpdate('never-opened', now, 10_000)).toBeUndefined();
    });

    it('counts an occurrence once into its group, even when a retry records it again', async () => {
      expect((await store.recordRepeat('retried', now, 60 * minute, 'occ-1')).count).toBe(1);
      expect((await store.recordRepeat('retried', now + 1_000, 60 * minute, 'occ-2')).count).toBe(2);
      await store.setRepeatMessage('retried', { channel: 'C1', ts: '1.000007' });
      expect(await store.recordRepeat('retried', now + 2_000, 60 * minute, 'occ-2')).toEqual({ count: 2, firstAt: now, message: { channel: 'C1', ts: '1.000007' } });
      expect((await store.recordRepeat('retried', now + 3_000, 60 * minute, 'occ-3')).count).toBe(3);
    });

    it('lands a retry on the group it was first counted in after a new group opened: it joins no other and counts once', async () => {
      const window = 10 * minute;
      expect(await store.recordRepeat('regrouped', now, window, 'occ-1')).toEqual({ count: 1, firstAt: now });
      await store.setRepeatMessage('regrouped', { channel: 'C1', ts: '1.000010' });
      // occ-2 is counted as the 2nd, then its post fails and its claim is given back for the retry.
      expect(await store.recordRepeat('regrouped', now + minute, window, 'occ-2')).toEqual({ count: 2, firstAt: now, message: { channel: 'C1', ts: '1.000010' } });
      // The group goes quiet for longer than its window: occ-3 opens a new one, with a thread of its own.
      expect(await store.recordRepeat('regrouped', now + 30 * minute, window, 'occ-3')).toEqual({ count: 1, firstAt: now + 30 * minute });
      await store.setRepeatMessage('regrouped', { channel: 'C1', ts: '2.000010' });
      // The retry of occ-2 keeps its place in the first group and that group's thread, told apart as closed: the
      // caller must neither reply under the new group's root nor rewrite its counter.
      expect(await store.recordRepeat('regrouped', now + 31 * minute, window, 'occ-2')).toEqual({ count: 2, firstAt: now, message: { channel: 'C1', ts: '1.000010' }, closed: true });
      // The new group did not count it: the next one is its 2nd, and its root is still occ-3's.
      expect(await store.recordRepeat('regrouped', now + 32 * minute, window, 'occ-4')).toEqual({ count: 2, firstAt: now + 30 * minute, message: { channel: 'C1', ts: '2.000010' } });
    });

    it('lands the retry of a closed group\'s first, never posted, on that group: the open group keeps its root', async () => {
      const window = 10 * minute;
      expect(await store.recordRepeat('first-failed', now, window, 'occ-1')).toEqual({ count: 1, firstAt: now });
      // occ-1's post failed; before its retry the group went quiet and occ-2 opened the next one.
      expect(await store.recordRepeat('first-failed', now + 20 * minute, window, 'occ-2')).toEqual({ count: 1, firstAt: now + 20 * minute });
      expect(await store.recordRepeat('first-failed', now + 21 * minute, window, 'occ-1')).toEqual({ count: 1, firstAt: now, closed: true });
      await store.setRepeatMessage('first-failed', { channel: 'C1', ts: '3.000010' });
      expect(await store.recordRepeat('first-failed', now + 22 * minute, window, 'occ-3')).toEqual({ count: 2, firstAt: now + 20 * minute, message: { channel: 'C1', ts: '3.000010' } });
    });

    it('lands a retry on its group gone quiet, and the next occurrence still opens a new one', async () => {
      const window = 10 * minute;
      await store.recordRepeat('quiet', now, window, 'occ-1');
      await store.setRepeatMessage('quiet', { channel: 'C1', ts: '4.000010' });
      expect(await store.recordRepeat('quiet', now + minute, window, 'occ-2')).toMatchObject({ count: 2 });
      // No other occurrence since: the group is the one occ-2 counted in, though past its window.
      expect(await store.recordRepeat('quiet', now + 30 * minute, window, 'occ-2')).toEqual({ count: 2, firstAt: now, message: { channel: 'C1', ts: '4.000010' } });
      expect(await store.recordRepeat('quiet', now + 31 * minute, window, 'occ-3')).toEqual({ count: 1, firstAt: now + 31 * minute });
    });

    it('measures the window on the time given when there is one, and keeps the group by the clock', async () => {
      // Deaths of one pod counted by when they happened: a second apart join, whenever analyze sees them; 30 s later
      // opens a new group even when counted at once; an hour-old death seen late still counts, by its own time.
      const died = now - 60 * minute;
      expect(await store.recordRepeat('died-together', now, 5_000, 'occ-a', died)).toEqual({ count: 1, firstAt: died });
      await store.setRepeatMessage('died-together', { channel: 'C1', ts: '5.000001', text: 'lists occ-a occ-b' });
      expect(await store.recordRepeat('died-together', now + 3 * minute, 5_000, 'occ-b', died + 1_000)).toEqual({ count: 2, firstAt: died, message: { channel: 'C1', ts: '5.000001', text: 'lists occ-a occ-b' } });
      expect(await store.recordRepeat('died-together', now + 3 * minute, 5_000, 'occ-c', died + 31_000)).toEqual({ count: 1, firstAt: died + 31_000 });
      // A retry of occ-b lands where it was counted, told apart as closed, with where that group's message was.
      expect(await store.recordRepeat('died-together', now + 4 * minute, 5_000, 'occ-b', died + 1_000)).toEqual({ count: 2, firstAt: died, message: { channel: 'C1', ts: '5.000001' }, closed: true });
    });

    it('counts twelve concurrent deaths of one time into one group, one of them first', async () => {
      const counts = await Promise.all(Array.from({ length: 12 }, (_, i) => store.recordRepeat('pod-death', now + i, 5_000, `occ-${i}`, now - minute)));
      expect(counts.map((g) => g.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(new Set(counts.map((g) => g.firstAt))).toEqual(new Set([now - minute]));
    });

    it('never gives two concurrent repeats the same count', async () => {
      const counts = await Promise.all(Array.from({ length: 12 }, (_, i) => store.recordRepeat('storm', now + i, 60 * minute)));
      expect(counts.map((g) => g.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    });

    it('hands out one counter update per interval, however many race for it', async () => {
      await store.recordRepeat('counter', now, 60 * minute);
      // One sends now, one reserves the next slot, the other three ride on it.
      const racers = await Promise.all(Array.from({ length: 5 }, () => store.reserveCounterUpdate('counter', now, 10_000)));
      expect(racers.filter((at) => at !== undefined).sort((a, b) => a! - b!)).toEqual([now, now + 10_000]);
      expect(await store.reserveCounterUpdate('counter', now + 5_000, 10_000)).toBeUndefined();
      expect(await store.reserveCounterUpdate('counter', now + 10_000, 10_000)).toBe(now + 20_000);
    });

    it('reserves the next counter update for one caller when it is not due, and coalesces the others into it', async () => {
      expect(await store.reserveCounterUpdate('never-opened', now, 10_000)).toBeUndefined();
      expect(await store.currentRepeat('trailing')).toBeUndefined();
      await store.recordRepeat('trailing', now, 60 * minute);
      await store.recordRepeat('trailing', now + 1, 60 * minute);
      expect(await store.currentRepeat('trailing')).toEqual({ count: 2, firstAt: now });
      expect(await store.reserveCounterUpdate('trailing', now, 10_000)).toBe(now);
      const racers = await Promise.all(Array.from({ length: 5 }, (_, i) => store.reserveCounterUpdate('trailing', now + 1_000 + i, 10_000)));
      expect(racers.filter((at) => at !== undefined)).toEqual([now + 10_000]);
      expect(await store.reserveCounterUpdate('trailing', now + 9_000, 10_000)).toBeUndefined();
      // Once the reserved slot has come, the next change reserves the one after it.
      expect(await store.reserveCounterUpdate('trailing', now + 10_500, 10_000)).toBe(now + 20_000);
      expect(await store.reserveCounterUpdate('trailing', now + 45_000, 10_000)).toBe(now + 45_000);
    });

    it('gives a caller that cannot wait for the next counter slot now instead, so that no slot is reserved and left unsent', async () => {
      await store.recordRepeat('short-of-time', now, 60 * minute);
      expect(await store.reserveCounterUpdate('short-of-time', now, 10_000)).toBe(now);
      // 9 s to the next slot and only 5 s to wait: it sends at once, and the slot after that is 10 s from then.
      expect(await store.reserveCounterUpdate('short-of-time', now + 1_000, 10_000, 5_000)).toBe(now + 1_000);
      expect(await store.reserveCounterUpdate('short-of-time', now + 2_000, 10_000, 9_000)).toBe(now + 11_000);
      expect(await store.reserveCounterUpdate('short-of-time', now + 3_000, 10_000, 0)).toBeUndefined();
    });

    const storm = { threshold: 5, windowMs: 2 * minute, quietMs: 5 * minute };
    const opening = (n: number, at: number, overrides: Partial<StormOccurrence> = {}): StormOccurrence => ({ occurrenceId: `occ-${n}`, groupKey: `repeat/prod-eu/shop/Deployment/svc-${n}/api/limit`, firstAt: at, count: 1, now: at, cause: 'limit', label: `svc-${n} › api`, ...overrides });

    it('opens one storm in a channel when more than the threshold of new groups open within the window, even when twenty-five race', async () => {
      const places = await Promise.all(Array.from({ length: 25 }, (_, n) => store.placeInStorm('C1', opening(n, now + n), storm)));
      expect(places.filter((p) => !p.in)).toHaveLength(5);
      expect(places.filter((p) => p.in && p.first)).toHaveLength(1);
      const current = await store.channelStorm('C1');
      expect(current?.before).toBe(5);
      expect(current?.groups).toHaveLength(20);
      // Another channel is another story.
      expect(await store.placeInStorm('C2', opening(99, now), storm)).toEqual({ in: false, stormy: false });
      // A repeat of a group that opened its own alert stays its own, quieter while the storm lasts.
      const own = places.findIndex((p) => !p.in);
      expect(await store.placeInStorm('C1', opening(own, now, { occurrenceId: 'occ-again', count: 2, now: now + 30_000 }), storm)).toMatchObject({ in: false, stormy: true, storm: { startedAt: current!.startedAt } });
      // The groups opened before are the storm's to keep counting: their counters show what was last sent, only higher.
      const key = opening(own, now).groupKey;
      expect(current?.beforeGroups.map((g) => g.key).sort()).toEqual(places.flatMap((p, n) => (p.in ? [] : [opening(n, now).groupKey])).sort());
      await store.setStormShown('C1', current!.startedAt, [{ key, count: 4 }], now + 31_000);
      await store.setStormShown('C1', current!.startedAt, [{ key, count: 3 }], now + 32_000);
      expect((await store.channelStorm('C1'))?.beforeGroups.find((g) => g.key === key)?.shown).toBe(4);
    });

    it('counts a group in the storm once per occurrence, by its place in its group, through retries', async () => {
      for (let n = 0; n < 7; n++) await store.placeInStorm('C1', opening(n, now + n), storm);
      const groupKey = opening(6, now).groupKey;
      const repeat = (count: number, at: number) => opening(6, now + 6, { occurrenceId: `rep-${count}`, count, now: at });
      await Promise.all([repeat(3, now + 20_000), repeat(2, now + 10_000), repeat(3, now + 20_000), repeat(2, now + 10_000)].map((o) => store.placeInStorm('C1', o, storm)));
      const counted = (await store.channelStorm('C1'))?.groups.find((g) => g.key === groupKey);
      expect(counted).toMatchObject({ count: 3, lastAt: now + 20_000 });
      // The storm's opener, retried before its root was set, is the first again; once set, nobody is.
      const opener = (await store.channelStorm('C1'))!;
      const again = await store.placeInStorm('C1', opening(5, now + 5, { occurrenceId: opener.openedBy }), storm);
      expect(again).toMatchObject({ in: true, first: true });
      await store.setStormRoot('C1', opener.startedAt, { channel: 'C1', ts: '1.000001' }, now + 6);
      await store.setStormRoot('C1', opener.startedAt, { channel: 'C1', ts: '9.999999' }, now + 7); // the first stays
      expect(await store.placeInStorm('C1', opening(5, now + 5, { occurrenceId: opener.openedBy }), storm)).toMatchObject({ in: true, first: false, storm: { root: { channel: 'C1', ts: '1.000001' } } });
    });

    it('ends a storm after its quiet period, handing its final summary to one caller, and starts counting afresh', async () => {
      for (let n = 0; n < 7; n++) await store.placeInStorm('C1', opening(n, now + n), storm);
      const started = (await store.channelStorm('C1'))!.startedAt;
      await store.setStormRoot('C1', started, { channel: 'C1', ts: '1.000001' }, now + 10);
      const later = now + 6 + storm.quietMs + 1;
      const [a, b] = await Promise.all([store.placeInStorm('C1', opening(50, later), storm), store.placeInStorm('C1', opening(51, later + 1), storm)]);
      expect([a, b].filter((p) => p.finished)).toHaveLength(1);
      expect([a, b].find((p) => p.finished)?.finished).toMatchObject({ startedAt: started, root: { channel: 'C1', ts: '1.000001' }, endedAt: expect.any(Number) });
      expect([a, b].every((p) => !p.in)).toBe(true);
      expect(await store.channelStorm('C1')).toBeUndefined();
      // A late retry of an occurrence counted in the storm that ended stays counted there.
      expect(await store.placeInStorm('C1', opening(6, now + 6, { occurrenceId: 'late', count: 2, now: later + 2 }), storm)).toMatchObject({ in: true, first: false, storm: { startedAt: started, root: { ts: '1.000001' } } });
    });

    it("reserves the storm root's updates one per interval, the latest state winning", async () => {
      for (let n = 0; n < 6; n++) await store.placeInStorm('C1', opening(n, now + n), storm);
      const started = (await store.channelStorm('C1'))!.startedAt;
      expect(await store.reserveStormUpdate('C1', started, now + 10, 10_000)).toBeUndefined(); // no root yet
      await store.setStormRoot('C1', started, { channel: 'C1', ts: '1.000001' }, now + 10);
      const racers = await Promise.all(Array.from({ length: 5 }, (_, i) => store.reserveStormUpdate('C1', started, now + 1_000 + i, 10_000)));
      expect(racers.filter((at) => at !== undefined)).toEqual([now + 10_010]);
      expect(await store.reserveStormUpdate('C1', started + 1, now + 30_000, 10_000)).toBeUndefined(); // another storm
      expect(await store.reserveStormUpdate('C1', started, now + 30_000, 10_000)).toBe(now + 30_000);
    });

    it('keeps incidents by id and lists the recent ones, newest first, per cluster or namespace', async () => {
      for (const [n, ns] of [[1, 'shop'], [2, 'billing'], [3, 'shop']] as const) await store.recordIncident(incident(n, ns));
      expect(await store.incident('inc-2')).toEqual(incident(2, 'billing'));
      expect(await store.incident('inc-404')).toBeUndefined();
      expect((await store.recentIncidents('prod-eu')).map((i) => i.incidentId)).toEqual(['inc-3', 'inc-2', 'inc-1']);
      expect((await store.recentIncidents('prod-eu', { namespace: 'shop', limit: 1 })).map((i) => i.incidentId)).toEqual(['inc-3']);
      expect(await store.recentIncidents('elsewhere')).toEqual([]);
    });

    it('lists ten recent incidents unless asked for more, and an incident recorded again only once', async () => {
      for (let n = 1; n <= 12; n++) await store.recordIncident(incident(n, 'shop', { container: null }));
      await store.recordIncident(incident(1, 'shop', { container: null, occurredAt: new Date(now + 60 * minute).toISOString(), headline: 'again' }));
      const recent = await store.recentIncidents('prod-eu');
      expect(recent.map((i) => i.incidentId)).toEqual(['inc-1', 'inc-12', 'inc-11', 'inc-10', 'inc-9', 'inc-8', 'inc-7', 'inc-6', 'inc-5', 'inc-4']);
      expect(recent[0]).toEqual(incident(1, 'shop', { container: null, occurredAt: new Date(now + 60 * minute).toISOString(), headline: 'again' }));
      expect(await store.recentIncidents('prod-eu', { limit: 20 })).toHaveLength(12);
    });

    it('pages recent incidents from one before, by when they happened and then their id, in a namespace too', async () => {
      for (let n = 1; n <= 5; n++) await store.recordIncident(incident(n, n % 2 ? 'shop' : 'billing', { container: null }));
      // Two at the same moment: their ids order them, so no page repeats or skips one.
      await store.recordIncident(incident(6, 'shop', { container: null, occurredAt: incident(5, 'shop').occurredAt }));
      const first = await store.recentIncidents('prod-eu', { limit: 2 });
      expect(first.map((i) => i.incidentId)).toEqual(['inc-6', 'inc-5']);
      const second = await store.recentIncidents('prod-eu', { limit: 3, before: first.at(-1)! });
      expect(second.map((i) => i.incidentId)).toEqual(['inc-4', 'inc-3', 'inc-2']);
      expect((await store.recentIncidents('prod-eu', { limit: 3, before: second.at(-1)! })).map((i) => i.incidentId)).toEqual(['inc-1']);
      expect((await store.recentIncidents('prod-eu', { namespace: 'shop', limit: 5, before: first[0]! })).map((i) => i.incidentId)).toEqual(['inc-5', 'inc-3', 'inc-1']);
    });

    it('keeps every audit record of an incident, oldest first', async () => {
      const record = (at: string, userId: string, after: string) => ({ incidentId: 'inc-7', cluster: 'prod-eu', userId, action: 'raise-limit', target: 'Deployment/checkout api', before: '512Mi', after, at });
      await store.recordAudit(record('2026-11-27T10:30:00.000Z', 'U2', '1Gi'));
      await store.recordAudit(record('2026-11-27T10:20:00.000Z', 'U1', '768Mi'));
      await store.recordAudit({ ...record('2026-11-27T10:20:00.000Z', 'U1', '768Mi'), incidentId: 'inc-8' });
      expect(await store.auditTrail('inc-7')).toEqual([record('2026-11-27T10:20:00.000Z', 'U1', '768Mi'), record('2026-11-27T10:30:00.000Z', 'U2', '1Gi')]);
      expect(await store.auditTrail('inc-404')).toEqual([]);
    });

    it('keeps groups, mutes, incidents and audit records apart whose names are far over the size of a key, and finds them again', async () => {
      // Cluster text has no length a table can rely on: DynamoDB refuses a partition key over 2,048 bytes.
      const node = (c: string) => `ip-${c.repeat(3200)}`;
      const [a, b] = [`evict/prod-eu/${node('a')}`, `evict/prod-eu/${node('a')}x`];
      expect(await store.recordRepeat(a, now, 60 * minute, 'evict-1')).toEqual({ count: 1, firstAt: now });
      expect(await store.recordRepeat(b, now, 60 * minute, 'evict-2')).toEqual({ count: 1, firstAt: now });
      expect(await store.recordRepeat(a, now + 1, 60 * minute, 'evict-3')).toMatchObject({ count: 2 });
      await store.setRepeatMessage(a, { channel: 'C1', ts: '1.000100' });
      expect(await store.repeatMessage(a)).toMatchObject({ channel: 'C1', ts: '1.000100' });
      expect(await store.repeatMessage(b)).toBeUndefined();
      const workload = `prod-eu/shop/Deployment/${'w'.repeat(3000)}`;
      await store.mute(workload, now + minute, 'U1');
      expect(await store.muteUntil(workload, now)).toBe(now + minute);
      expect(await store.muteUntil(`${workload}x`, now)).toBeUndefined();
      const long = { ...incident(40, 'n'.repeat(2100)), incidentId: `inc-${'i'.repeat(2100)}` };
      await store.recordIncident(long);
      expect(await store.incident(long.incidentId)).toEqual(long);
      expect((await store.recentIncidents('prod-eu', { namespace: long.namespace })).map((i) => i.incidentId)).toEqual([long.incidentId]);
      const audit = { incidentId: `workload/${workload}`, cluster: 'prod-eu', userId: 'U1', action: 'mute-1h', target: workload, before: 'alerting', after: 'muted', at: '2026-11-27T10:20:00.000Z' };
      await store.recordAudit(audit);
      expect(await store.auditTrail(audit.incidentId)).toEqual([audit]);
    });

    it('mutes until a time, treats an expired mute as none, and unmutes', async () => {
      await store.mute('prod/shop/deploy/checkout', now + 60 * minute, 'U123');
      expect(await store.muteUntil('prod/shop/deploy/checkout', now)).toBe(now + 60 * minute);
      expect(await store.muteUntil('prod/shop/deploy/checkout', now + 61 * minute)).toBeUndefined();
      await store.unmute('prod/shop/deploy/checkout');
      expect(await store.muteUntil('prod/shop/deploy/checkout', now)).toBeUndefined();
    });

    it('keeps who muted a workload and when, for the alert to say so, until the mute runs out or is undone', async () => {
      await store.mute('prod/shop/deploy/cart', now + 60 * minute, 'U0BOB', now);
      expect(await store.activeMute('prod/shop/deploy/cart', now + minute)).toEqual({ until: now + 60 * minute, by: 'U0BOB', at: now });
      // A mute made again replaces the first: its maker and its end are the new ones.
      await store.mute('prod/shop/deploy/cart', now + 24 * 60 * minute, 'U0CAROL', now + 5 * minute);
      expect(await store.activeMute('prod/shop/deploy/cart', now + 6 * minute)).toEqual({ until: now + 24 * 60 * minute, by: 'U0CAROL', at: now + 5 * minute });
      expect(await store.activeMute('prod/shop/deploy/cart', now + 24 * 60 * minute)).toBeUndefined();
      expect(await store.activeMute('prod/shop/deploy/cartx', now)).toBeUndefined();
      // Made without its time (as before it was kept): who and until when still read.
      await store.mute('prod/shop/deploy/web', now + minute, 'U1');
      expect(await store.activeMute('prod/shop/deploy/web', now)).toEqual({ until: now + minute, by: 'U1' });
      await store.unmute('prod/shop/deploy/cart');
      expect(await store.activeMute('prod/shop/deploy/cart', now + 6 * minute)).toBeUndefined();
    });
  });
}
