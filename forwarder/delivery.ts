// The bounded delivery queue between the watches and the sink. One request is outstanding at a time, as PutEvents
// allows it (≤ 10 entries, < 256 KB). It batches only under load: an entry that finds the line quiet — no request
// started within the last 500 ms — goes at once, alone, so a kill now and then reaches the bus in the time of one
// request (docs/architecture.md, "Budgets": p50 ≤ 30 ms at low rates). Once a request has gone out within that time,
// what arrives meanwhile (while it is outstanding and after) gathers, and goes when it fills a request or when its
// oldest entry has waited the gather window (250 ms), as the old fixed window did: a storm takes as few requests as
// that gave it, plus its first and one for each lull of half a second in it.
// It resends what failed — whole requests (throttling, network, 5xx) and single entries (`FailedEntryCount` on an HTTP
// 200) — with full-jitter exponential backoff, and drains on stop. When it is full, enqueue waits: the watch slows
// down instead of memory growing or entries being dropped.
import type { Logger } from '#shared/log.ts';

export interface OutboundEntry {
  /** The occurrence id: what makes a resend recognisable downstream. */
  id: string;
  occurredAtMs: number;
  source: string;
  detailType: string;
  detail: string;
  time: Date;
}

export interface PutOutcome {
  /** Entries the sink refused one by one, by index in the batch. */
  failed: { index: number; code?: string; message?: string }[];
}

export interface Sink {
  readonly name: string;
  /** Sends a batch. Throws when the whole request failed (it is then resent whole). */
  put(entries: OutboundEntry[]): Promise<PutOutcome>;
}

/** PutEvents limits (EventBridge quotas): 10 entries per request and 256 KB, counted as below. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;

/** EventBridge's size of an entry: 14 bytes for Time plus the UTF-8 bytes of Source, DetailType and Detail. */
export function entrySize(e: Pick<OutboundEntry, 'source' | 'detailType' | 'detail'>): number {
  return 14 + Buffer.byteLength(e.source) + Buffer.byteLength(e.detailType) + Buffer.byteLength(e.detail);
}

/** Entry errors a resend cannot fix: the entry itself is wrong. Everything else (throttling, internal) is retried. */
const PERMANENT = new Set(['MalformedDetail', 'InvalidArgument', 'ValidationException']);

export class QueueClosedError extends Error {
  override name = 'QueueClosedError';
  constructor() {
    super('the delivery queue is closed (stopping)');
  }
}

export interface DeliveryHooks {
  delivered?(entry: OutboundEntry): void;
  abandoned?(entry: OutboundEntry, why: string): void;
  sent?(count: number): void;
  failed?(count: number): void;
  retried?(count: number): void;
}

export interface DeliveryOptions {
  capacity?: number;
  /** Bytes of entries the queue may hold (retries included); with the count, what bounds its memory. */
  capacityBytes?: number;
  /** Under load, how long an entry may wait for others to share its request. */
  gatherMs?: number;
  /** Load: a request started less than this ago. An entry that finds none goes at once. */
  quietMs?: number;
  backoff?: { baseMs: number; capMs: number };
  hooks?: DeliveryHooks;
  log?: Logger;
  random?: () => number;
}

interface Item {
  entry: OutboundEntry;
  bytes: number;
  attempt: number;
  readyAt: number;
  queuedAt: number;
}

export class DeliveryQueue {
  private readonly items: Item[] = [];
  private readonly capacity: number;
  private readonly capacityBytes: number;
  private queuedBytes = 0;
  private readonly gatherMs: number;
  private readonly quietMs: number;
  /** When the last request went out (retries included): within the gather window of it, entries gather. */
  private lastSentAt = -Infinity;
  private readonly backoff: { baseMs: number; capMs: number };
  private readonly hooks: DeliveryHooks;
  private readonly random: () => number;
  private wake: (() => void) | undefined;
  private roomWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private closed = false;
  private stopping = false;
  private running: Promise<void> | undefined;
  private drainDeadline = Infinity;

  constructor(
    private readonly sink: Sink,
    private readonly options: DeliveryOptions = {},
  ) {
    this.capacity = options.capacity ?? 1_000;
    this.capacityBytes = options.capacityBytes ?? 8 * 1024 * 1024;
    this.gatherMs = options.gatherMs ?? 250;
    // Twice the gather window: a storm whose arrivals come in clumps (a watch hands over what the server had) keeps
    // gathering between clumps, and kills up to two a second still go one by one, at once.
    this.quietMs = options.quietMs ?? 2 * this.gatherMs;
    this.backoff = options.backoff ?? { baseMs: 200, capMs: 30_000 };
    this.hooks = options.hooks ?? {};
    this.random = options.random ?? Math.random;
  }

  get depth(): number {
    return this.items.length;
  }

  start(): void {
    this.running ??= this.pump();
  }

  /** Accepts an entry, waiting while the queue is full. Entries over the request limit must be shrunk before. */
  async enqueue(entry: OutboundEntry): Promise<void> {
    if (this.closed) throw new QueueClosedError();
    const bytes = entrySize(entry);
    if (bytes > MAX_REQUEST_BYTES) throw new Error(`entry ${entry.id} is ${bytes} bytes, over the ${MAX_REQUEST_BYTES}-byte PutEvents limit`);
    while (this.full(bytes)) await new Promise<void>((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
    const now = Date.now();
    this.items.push({ entry, bytes, attempt: 0, readyAt: now, queuedAt: now });
    this.queuedBytes += bytes;
    this.wake?.();
  }

  /** Full by count, or by bytes — but an empty queue takes any entry, however large. */
  private full(bytes: number): boolean {
    return this.items.length >= this.capacity || (this.items.length > 0 && this.queuedBytes + bytes > this.capacityBytes);
  }

  /** Stops accepting: enqueue, and callers waiting for room, fail with QueueClosedError. */
  close(): void {
    this.closed = true;
    for (const w of this.roomWaiters.splice(0)) w.reject(new QueueClosedError());
  }

  /** Stops accepting, sends what is queued (retries included) until the deadline, then returns what is left. */
  async drain(timeoutMs: number): Promise<number> {
    this.close();
    this.stopping = true;
    this.drainDeadline = Date.now() + timeoutMs;
    this.wake?.();
    this.start();
    await this.running;
    return this.items.length;
  }

  private async pump(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (this.stopping && (this.items.length === 0 || now >= this.drainDeadline)) return;
      const ready = this.items.filter((i) => i.readyAt <= now);
      const due = this.dueAt(ready, now);
      if (due <= now) {
        this.lastSentAt = now;
        await this.send(this.takeBatch(ready));
        continue;
      }
      const next = Math.min(due, ...this.items.filter((i) => i.readyAt > now).map((i) => i.readyAt), this.stopping ? this.drainDeadline : Infinity);
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(next) ? setTimeout(resolve, Math.max(1, next - now)) : undefined;
        this.wake = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** When the ready entries should go: at once when quiet, full or stopping; under load, once the oldest has waited. */
  private dueAt(ready: Item[], now: number): number {
    if (!ready.length) return Infinity;
    if (this.stopping || now - this.lastSentAt >= this.quietMs) return now;
    if (ready.length >= MAX_BATCH_ENTRIES || ready.reduce((sum, i) => sum + i.bytes, 0) > MAX_REQUEST_BYTES) return now;
    return Math.min(...ready.map((i) => i.queuedAt)) + this.gatherMs;
  }

  private takeBatch(ready: Item[]): Item[] {
    const batch: Item[] = [];
    let bytes = 0;
    for (const item of ready) {
      if (batch.length === MAX_BATCH_ENTRIES) break;
      if (bytes + item.bytes > MAX_REQUEST_BYTES) continue;
      batch.push(item);
      bytes += item.bytes;
    }
    for (const item of batch) {
      this.items.splice(this.items.indexOf(item), 1);
      this.queuedBytes -= item.bytes;
    }
    return batch;
  }

  private async send(batch: Item[]): Promise<void> {
    let failed: PutOutcome['failed'];
    try {
      failed = (await this.sink.put(batch.map((i) => i.entry))).failed;
    } catch (error) {
      // A whole request failed (throttling, network, 5xx after the SDK's own retries): always resend, never drop —
      // a request-level error says nothing about any single entry.
      this.options.log?.warn('PutEvents request failed; resending the batch', { error, entries: batch.length });
      failed = batch.map((_, index) => ({ index }));
    }
    const failedAt = new Map(failed.map((f) => [f.index, f]));
    const retry: Item[] = [];
    batch.forEach((item, index) => {
      const f = failedAt.get(index);
      if (!f) {
        this.hooks.delivered?.(item.entry);
        return;
      }
      if (f.code && PERMANENT.has(f.code)) {
        this.options.log?.error('EventBridge refused an entry; it cannot succeed on resend', { occurrenceId: item.entry.id, code: f.code, message: f.message });
        this.hooks.abandoned?.(item.entry, `${f.code}: ${f.message ?? ''}`);
        return;
      }
      retry.push(item);
    });
    this.hooks.sent?.(batch.length - failed.length);
    this.hooks.failed?.(failed.length);
    if (retry.length) this.hooks.retried?.(retry.length);
    const now = Date.now();
    for (const item of retry) {
      item.attempt += 1;
      // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): spreads resends of a throttled burst.
      item.readyAt = now + this.random() * Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** item.attempt);
      this.items.push(item);
      this.queuedBytes += item.bytes;
    }
    // Wake every waiter: each re-checks for room itself.
    for (const w of this.roomWaiters.splice(0)) w.resolve();
  }
}
