import { describe, expect, it } from 'vitest';
import { DeliveryQueue, entrySize, MAX_REQUEST_BYTES, type OutboundEntry, type PutOutcome, type Sink } from '../../../forwarder/delivery.ts';

const entry = (id: string, detailBytes = 100): OutboundEntry => ({ id, occurredAtMs: 0, source: 'oombot.forwarder', detailType: 'Pod Eviction', detail: `"${'x'.repeat(detailBytes - 2)}"`, time: new Date(0) });

/** A sink that records batches and answers from a script. */
function recordingSink(answer: (batch: OutboundEntry[], call: number) => PutOutcome | Error = () => ({ failed: [] })): Sink & { batches: OutboundEntry[][] } {
  const batches: OutboundEntry[][] = [];
  return {
    name: 'test',
    batches,
    async put(batch) {
      batches.push(batch);
      const a = answer(batch, batches.length);
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

const fast = { flushMs: 20, backoff: { baseMs: 1, capMs: 5 } };

describe('DeliveryQueue', () => {
  it('sends batches of at most 10 entries, in order', async () => {
    const sink = recordingSink();
    const q = new DeliveryQueue(sink, fast);
    q.start();
    for (let i = 0; i < 25; i++) await q.enqueue(entry(`e${i}`));
    expect(await q.drain(2_000)).toBe(0);
    expect(sink.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(sink.batches.flat().map((e) => e.id)).toEqual(Array.from({ length: 25 }, (_, i) => `e${i}`));
  });

  it('keeps each request under 256 KB', async () => {
    const sink = recordingSink();
    const q = new DeliveryQueue(sink, fast);
    q.start();
    for (let i = 0; i < 6; i++) await q.enqueue(entry(`big${i}`, 100_000));
    await q.drain(2_000);
    for (const b of sink.batches) expect(b.reduce((s, e) => s + entrySize(e), 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(sink.batches.flat()).toHaveLength(6);
  });

  it('sends a lone entry within the flush window', async () => {
    const sink = recordingSink();
    const q = new DeliveryQueue(sink, { flushMs: 50 });
    q.start();
    const t0 = Date.now();
    await q.enqueue(entry('only'));
    while (!sink.batches.length) await new Promise((r) => setTimeout(r, 5));
    expect(Date.now() - t0).toBeLessThan(1_000);
    await q.drain(100);
  });

  it('resends only the entries that failed on an HTTP 200, until they succeed', async () => {
    const delivered: string[] = [];
    const sink = recordingSink((batch, call) => (call === 1 ? { failed: [{ index: 1, code: 'InternalFailure' }, { index: 3, code: 'ThrottlingException' }] } : { failed: [] }));
    // random() = 1: every resend waits the same, so they travel together.
    const q = new DeliveryQueue(sink, { ...fast, random: () => 1, hooks: { delivered: (e) => delivered.push(e.id) } });
    q.start();
    for (let i = 0; i < 5; i++) await q.enqueue(entry(`e${i}`));
    await q.drain(2_000);
    expect(sink.batches.map((b) => b.map((e) => e.id))).toEqual([['e0', 'e1', 'e2', 'e3', 'e4'], ['e1', 'e3']]);
    expect(delivered.sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('resends a whole batch when the request fails (throttled, network)', async () => {
    const sink = recordingSink((_b, call) => (call <= 2 ? Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) : { failed: [] }));
    const retried: number[] = [];
    const q = new DeliveryQueue(sink, { ...fast, random: () => 1, hooks: { retried: (n) => retried.push(n) } });
    q.start();
    await q.enqueue(entry('a'));
    await q.enqueue(entry('b'));
    await q.drain(2_000);
    expect(sink.batches.map((b) => b.map((e) => e.id))).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b']]);
    expect(retried).toEqual([2, 2]);
  });

  it('backs off with full jitter, growing per attempt up to the cap', async () => {
    const times: number[] = [];
    const sink = recordingSink(() => {
      times.push(Date.now());
      return times.length < 5 ? new Error('down') : { failed: [] };
    });
    const q = new DeliveryQueue(sink, { flushMs: 1, backoff: { baseMs: 20, capMs: 100 }, random: () => 1 });
    q.start();
    await q.enqueue(entry('a'));
    await q.drain(5_000);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // random() = 1 gives the ceiling: 40, 80, 100 (capped), 100 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(95);
    expect(Math.max(...gaps)).toBeLessThan(400);
  });

  it('gives up on an entry the service calls malformed, and says so', async () => {
    const abandoned: string[] = [];
    const sink = recordingSink(() => ({ failed: [{ index: 0, code: 'MalformedDetail', message: 'Detail is malformed.' }] }));
    const q = new DeliveryQueue(sink, { ...fast, hooks: { abandoned: (e) => abandoned.push(e.id) } });
    q.start();
    await q.enqueue(entry('bad'));
    expect(await q.drain(1_000)).toBe(0);
    expect(abandoned).toEqual(['bad']);
    expect(sink.batches).toHaveLength(1);
  });

  it('makes enqueue wait while full instead of growing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink: Sink = { name: 'slow', put: async () => (await gate, { failed: [] }) };
    const q = new DeliveryQueue(sink, { ...fast, capacity: 3 });
    q.start();
    for (let i = 0; i < 3; i++) await q.enqueue(entry(`e${i}`));
    await new Promise((r) => setTimeout(r, 50)); // the pump takes e0..e2 into a request that hangs
    for (let i = 3; i < 6; i++) await q.enqueue(entry(`e${i}`));
    let accepted = false;
    const waiting = q.enqueue(entry('e6')).then(() => (accepted = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(accepted).toBe(false);
    expect(q.depth).toBe(3);
    release();
    await waiting;
    expect(accepted).toBe(true);
    await q.drain(1_000);
  });

  it('refuses an entry over the request limit rather than sending it', async () => {
    const q = new DeliveryQueue(recordingSink(), fast);
    await expect(q.enqueue(entry('huge', MAX_REQUEST_BYTES))).rejects.toThrow(/over the 262144-byte PutEvents limit/);
  });

  it('drain returns what it could not deliver by the deadline', async () => {
    const q = new DeliveryQueue(recordingSink(() => new Error('down')), { flushMs: 1, backoff: { baseMs: 10, capMs: 10 } });
    q.start();
    await q.enqueue(entry('a'));
    expect(await q.drain(100)).toBe(1);
  });
});

describe('DeliveryQueue memory bound', () => {
  it('waits for room by bytes as well as by count, but always takes an entry into an empty queue', async () => {
    const sink = recordingSink();
    const q = new DeliveryQueue(sink, { flushMs: 5, capacityBytes: 250 });
    await q.enqueue(entry('a', 200)); // empty queue: accepted although it alone nearly fills the budget
    let accepted = false;
    const waiting = q.enqueue(entry('b', 200)).then(() => (accepted = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(accepted).toBe(false); // not started: `a` is still queued, and `b` would pass 250 bytes
    q.start();
    await waiting; // `a` went out, making room
    expect(await q.drain(1_000)).toBe(0);
    expect(sink.batches.flat().map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('refuses callers still waiting for room once it is closed', async () => {
    const q = new DeliveryQueue(recordingSink(), { capacity: 1 });
    await q.enqueue(entry('a'));
    const waiting = q.enqueue(entry('b'));
    q.close();
    await expect(waiting).rejects.toThrow('the delivery queue is closed (stopping)');
  });
});
