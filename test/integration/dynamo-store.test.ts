// The Store on DynamoDB (dynalite behind the real AWS SDK): every "only once" holds under concurrency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';

let dynamo: LocalDynamo;
let store: DynamoStore;
beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('oombot');
  store = new DynamoStore(dynamo.client, 'oombot');
});
afterAll(async () => {
  await dynamo?.close();
});

const now = Date.parse('2026-11-27T10:14:03Z');
const minute = 60_000;

describe('DynamoStore', () => {
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

  it('never gives two concurrent repeats the same count', async () => {
    const counts = await Promise.all(Array.from({ length: 12 }, (_, i) => store.recordRepeat('storm', now + i, 60 * minute)));
    expect(counts.map((g) => g.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('hands out one counter update per interval', async () => {
    await store.recordRepeat('counter', now, 60 * minute);
    const racers = await Promise.all(Array.from({ length: 5 }, () => store.claimCounterUpdate('counter', now, 10_000)));
    expect(racers.filter(Boolean)).toHaveLength(1);
    expect(await store.claimCounterUpdate('counter', now + 5_000, 10_000)).toBe(false);
    expect(await store.claimCounterUpdate('counter', now + 10_000, 10_000)).toBe(true);
  });

  it('keeps incidents by id and lists the recent ones, newest first, per cluster or namespace', async () => {
    const incident = (n: number, namespace: string) => ({
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
      verdict: JSON.stringify({ cause: 'limit' }),
    });
    for (const [n, ns] of [[1, 'shop'], [2, 'billing'], [3, 'shop']] as const) await store.recordIncident(incident(n, ns));
    expect(await store.incident('inc-2')).toEqual(incident(2, 'billing'));
    expect(await store.incident('inc-404')).toBeUndefined();
    expect((await store.recentIncidents('prod-eu')).map((i) => i.incidentId)).toEqual(['inc-3', 'inc-2', 'inc-1']);
    expect((await store.recentIncidents('prod-eu', { namespace: 'shop', limit: 1 })).map((i) => i.incidentId)).toEqual(['inc-3']);
    expect(await store.recentIncidents('elsewhere')).toEqual([]);
  });

  it('mutes until a time, treats an expired mute as none, and unmutes', async () => {
    await store.mute('prod/shop/deploy/checkout', now + 60 * minute, 'U123');
    expect(await store.muteUntil('prod/shop/deploy/checkout', now)).toBe(now + 60 * minute);
    expect(await store.muteUntil('prod/shop/deploy/checkout', now + 61 * minute)).toBeUndefined();
    await store.unmute('prod/shop/deploy/checkout');
    expect(await store.muteUntil('prod/shop/deploy/checkout', now)).toBeUndefined();
  });
});
