import { describe, expect, it, vi } from 'vitest';
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

const fast = { gatherMs: 20, backoff: { baseMs: 1, capMs: 5 } };

// Where a test cares how entries are grouped into requests, it queues them before start(), or runs on a fake clock:
// a pump that runs while they are being queued may find the gather window passed (a loaded machine can pause this
// process for longer than 20 ms) and rightly send what it has, so the grouping would depend on the machine's load.

describe('DeliveryQueue', () => {
  it('sends batches of at most 10 entries, in order', async () => {
    const sink = recordingSink();
    const q = new DeliveryQueue(sink, fast);
    for (let i = 0; i < 25; i++) await q.enqueue(entry(`e${i}`));
    q.start();
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

  it('sends an entry at once, alone, when no request went out within the last half second', async () => {
    // On a fake clock, so that "at once" is the queue's decision and not the machine's scheduling.
    vi.useFakeTimers();
    try {
      const sentAt: number[] = [];
      const sink = recordingSink(() => (sentAt.push(Date.now()), { failed: [] }));
      const q = new DeliveryQueue(sink, { gatherMs: 250 });
      q.start();
      const first = Date.now();
      await q.enqueue(entry('first'));
      await vi.advanceTimersByTimeAsync(0);
      // A kill now and then: the next comes after the window, and goes at once too.
      await vi.advanceTimersByTimeAsync(1_000);
      const second = Date.now();
      await q.enqueue(entry('second'));
      await vi.advanceTimersByTimeAsync(0);
      expect(sink.batches.map((b) => b.map((e) => e.id))).toEqual([['first'], ['second']]);
      expect(sentAt).toEqual([first, second]);
      expect(await q.drain(100)).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('under load, gathers what arrives while a request is outstanding into the next, sent when its oldest has waited the window', async () => {
    vi.useFakeTimers();
    try {
      const sentAt: number[] = [];
      // Each request takes 30 ms, as a PutEvents round trip might.
      const sink: Sink & { batches: string[][] } = {
        name: 'slow',
        batches: [],
        async put(batch) {
          sentAt.push(Date.now());
          this.batches.push(batch.map((e) => e.id));
          await new Promise((r) => setTimeout(r, 30));
          return { failed: [] };
        },
      };
      const q = new DeliveryQueue(sink, { gatherMs: 250 });
      q.start();
      const t0 = Date.now();
      for (let i = 0; i < 5; i++) {
        await q.enqueue(entry(`e${i}`));
        await vi.advanceTimersByTimeAsync(10);
      }
      await vi.advanceTimersByTimeAsync(1_000);
      // e0 found the line quiet; e1–e4 came while it was outstanding or just after, and share one request, sent when
      // e1 (queued at 10 ms) had waited 250 ms.
      expect(sink.batches).toEqual([['e0'], ['e1', 'e2', 'e3', 'e4']]);
      expect(sentAt.map((t) => t - t0)).toEqual([0, 260]);
      expect(await q.drain(100)).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps gathering through a storm that arrives in clumps, with lulls longer than the gather window', async () => {
    vi.useFakeTimers();
    try {
      const sink = recordingSink();
      const q = new DeliveryQueue(sink, { gatherMs: 250 });
      q.start();
      // Five at a time every 600 ms, as a watch may hand them over. The first finds the line quiet and goes alone; every
      // later clump finds the last request gone out 350 ms before (under half a second: load) and goes as one request,
      // 250 ms after its first — where a line quiet after 250 ms would send each clump's first alone, doubling them.
      for (let c = 0; c < 6; c++) {
        for (let i = 0; i < 5; i++) await q.enqueue(entry(`c${c}-${i}`));
        await vi.advanceTimersByTimeAsync(600);
      }
      await vi.advanceTimersByTimeAsync(1_000);
      expect(sink.batches.map((b) => b.length)).toEqual([1, 4, 5, 5, 5, 5, 5]);
      expect(await q.drain(100)).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes no more requests in a storm than one per gather window, plus the first, and sends a full request at once', async () => {
    vi.useFakeTimers();
    try {
      const sentAt: number[] = [];
      const sink = recordingSink(() => (sentAt.push(Date.now()), { failed: [] }));
      const q = new DeliveryQueue(sink, { gatherMs: 250 });
      q.start();
      // 20 kills a second for 3 s: sending each at once would take 60 requests.
      for (let i = 0; i < 60; i++) {
        await q.enqueue(entry(`s${i}`));
        await vi.advanceTimersByTimeAsync(50);
      }
      await vi.advanceTimersByTimeAsync(1_000);
      expect(sink.batches.flat().map((e) => e.id)).toEqual(Array.from({ length: 60 }, (_, i) => `s${i}`));
      expect(sink.batches.length).toBeLessThanOrEqual(1 + 3_000 / 250);
      expect(sink.batches[0]!.map((e) => e.id)).toEqual(['s0']);
      // A burst after a quiet second: its first goes alone, and the ten behind it, within the window, go as soon as
      // they fill a request.
      const burstAt = Date.now();
      const before = sink.batches.length;
      for (let i = 0; i < 11; i++) await q.enqueue(entry(`b${i}`));
      await vi.advanceTimersByTimeAsync(0);
      expect(sink.batches.slice(before).map((b) => b.length)).toEqual([1, 10]);
      expect(sentAt.at(-1)).toBe(burstAt);
      expect(await q.drain(100)).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('resends only the entries that failed on an HTTP 200, until they succeed', async () => {
    const delivered: string[] = [];
    const sink = recordingSink((batch, call) => (call === 1 ? { failed: [{ index: 1, code: 'InternalFailure' }, { index: 3, code: 'ThrottlingException' }] } : { failed: [] }));
    // random() = 1: every resend waits the same, so they travel together.
    const q = new DeliveryQueue(sink, { ...fast, random: () => 1, hooks: { delivered: (e) => delivered.push(e.id) } });
    for (let i = 0; i < 5; i++) await q.enqueue(entry(`e${i}`));
    q.start();
    await q.drain(2_000);
    expect(sink.batches.map((b) => b.map((e) => e.id))).toEqual([['e0', 'e1', 'e2', 'e3', 'e4'], ['e1', 'e3']]);
    expect(delivered.sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('resends a whole batch when the request fails (throttled, network)', async () => {
    const sink = recordingSink((_b, call) => (call <= 2 ? Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) : { failed: [] }));
    const retried: number[] = [];
    const q = new DeliveryQueue(sink, { ...fast, random: () => 1, hooks: { retried: (n) => retried.push(n) } });
    await q.enqueue(entry('a'));
    await q.enqueue(entry('b'));
    q.start();
    await q.drain(2_000);
    expect(sink.batches.map((b) => b.map((e) => e.id))).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b']]);
    expect(retried).toEqual([2, 2]);
  });

  it('backs off with full jitter, growing per attempt up to the cap', async () => {
    // On a fake clock (Date and timers), so the gaps are the queue's own and not the machine's scheduling delays.
    vi.useFakeTimers();
    try {
      const times: number[] = [];
      const sink = recordingSink(() => {
        times.push(Date.now());
        return times.length < 5 ? new Error('down') : { failed: [] };
      });
      const q = new DeliveryQueue(sink, { gatherMs: 1, backoff: { baseMs: 20, capMs: 100 }, random: () => 0.5 });
      q.start();
      await q.enqueue(entry('a'));
      await vi.runAllTimersAsync();
      expect(times).toHaveLength(5);
      // Ceilings 40, 80, 160 capped to 100, and 100 ms; random() = 0.5 takes half of each (full jitter scales the whole wait).
      expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([20, 40, 50, 50]);
      expect(await q.drain(0)).toBe(0);
    } finally {
      vi.useRealTimers();
    }
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
    const taken: string[][] = [];
    const sink: Sink = { name: 'slow', put: async (batch) => (taken.push(batch.map((e) => e.id)), await gate, { failed: [] }) };
    const q = new DeliveryQueue(sink, { ...fast, capacity: 3 });
    for (let i = 0; i < 3; i++) await q.enqueue(entry(`e${i}`));
    q.start();
    // The pump takes e0..e2 into a request that hangs, which leaves room for three more.
    await vi.waitFor(() => expect(taken).toEqual([['e0', 'e1', 'e2']]), { timeout: 4_000, interval: 5 });
    for (let i = 3; i < 6; i++) await q.enqueue(entry(`e${i}`));
    let accepted = false;
    const waiting = q.enqueue(entry('e6')).then(() => (accepted = true));
    // Nothing can make room while the request hangs; an enqueue that did not wait would have resolved long before.
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
    const q = new DeliveryQueue(recordingSink(() => new Error('down')), { gatherMs: 1, backoff: { baseMs: 10, capMs: 10 } });
    q.start();
    await q.enqueue(entry('a'));
    expect(await q.drain(100)).toBe(1);
  });
});

describe('DeliveryQueue memory bound', () => {
  it('waits for room by bytes as well as by count, but always takes an entry into an empty queue', async () => {
    const sink = recordingSink();
    const q = new DeliveryQueue(sink, { gatherMs: 5, capacityBytes: 250 });
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
