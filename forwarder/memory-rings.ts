// Each sampled container's recent memory (docs/domain.md §14): a bounded ring of (time, working set, restart count)
// per container, kept in a few shared typed arrays instead of objects. A sample costs 8 bytes here where an object
// would cost about 60, and at 10,000 containers that is the forwarder's memory budget (docs/architecture.md,
// "Budgets"). Rings live in slabs of a few hundred; a freed ring is reused, and a slab at the end that holds no live
// ring is given back, so a cluster that shrinks gives memory back too.
import type { MemorySample } from '#shared/memory-series.ts';
import { MAX_SAMPLES, PAGE_BYTES } from '#shared/memory-series.ts';

/**
 * A sample's time is kept as 16-bit seconds from its ring's base, which moves forward when the newest sample would not
 * fit: any window shorter than 2^16 s (18 h) fits; 12 h leaves room to spare.
 */
export const MAX_WINDOW_MS = 12 * 3600_000;
const MAX_OFFSET = 0xffff;
const MAX_PAGES = 0xffffffff;
const MAX_RESTARTS = 0xffff;
/** About 128 KiB of samples per slab, whatever the ring's size. */
const SLAB_SAMPLES = 16_384;

class Slab {
  readonly offsets: Uint16Array;
  readonly pages: Uint32Array;
  readonly restarts: Uint16Array;
  /** Per ring: the epoch second its offsets count from, where its oldest sample is, how many it holds. */
  readonly base: Uint32Array;
  readonly head: Uint16Array;
  readonly count: Uint16Array;
  used = 0;

  constructor(rings: number, capacity: number) {
    this.offsets = new Uint16Array(rings * capacity);
    this.pages = new Uint32Array(rings * capacity);
    this.restarts = new Uint16Array(rings * capacity);
    this.base = new Uint32Array(rings);
    this.head = new Uint16Array(rings);
    this.count = new Uint16Array(rings);
    // Touch every page now: the kernel lends zeroed memory lazily, so an untouched slab would look free in RSS and
    // grow it half an hour later, as its rings fill. What a slab costs shows from the first sample.
    this.offsets.fill(0);
    this.pages.fill(0);
    this.restarts.fill(0);
  }

  get bytes(): number {
    return this.offsets.byteLength + this.pages.byteLength + this.restarts.byteLength + this.base.byteLength + this.head.byteLength + this.count.byteLength;
  }
}

export class MemoryRings {
  private readonly slabs: Slab[] = [];
  private readonly free: number[] = [];
  private readonly perSlab: number;
  private live = 0;

  /** @param capacity samples per ring: the window divided by the poll interval. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_SAMPLES) throw new RangeError(`a ring holds 1 to ${MAX_SAMPLES} samples, not ${capacity}`);
    this.perSlab = Math.max(1, Math.floor(SLAB_SAMPLES / capacity));
  }

  /** A new, empty ring; its number is what the other methods take. */
  allocate(): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      this.slabs.push(new Slab(this.perSlab, this.capacity));
      const first = (this.slabs.length - 1) * this.perSlab;
      // Lowest last, so it is handed out first.
      for (let s = first + this.perSlab - 1; s > first; s--) this.free.push(s);
      slot = first;
    }
    const slab = this.slab(slot);
    slab.used += 1;
    slab.count[slot % this.perSlab] = 0;
    this.live += 1;
    return slot;
  }

  release(slot: number): void {
    const slab = this.slab(slot);
    slab.count[slot % this.perSlab] = 0;
    slab.used -= 1;
    this.live -= 1;
    this.free.push(slot);
    // Give back the slabs at the end that no ring uses any more.
    let last = this.slabs.at(-1);
    if (!last || last.used > 0) return;
    while (last && last.used === 0) {
      this.slabs.pop();
      last = this.slabs.at(-1);
    }
    const end = this.slabs.length * this.perSlab;
    const kept = this.free.filter((s) => s < end);
    this.free.length = 0;
    this.free.push(...kept);
  }

  /**
   * Adds a sample, overwriting the oldest when the ring is full. One sample per instant, in time order: a sample not
   * newer than the ring's newest (metrics-server answered the same scrape twice) is ignored, and false returned.
   */
  push(slot: number, atMs: number, workingSetBytes: number, restarts: number): boolean {
    const slab = this.slab(slot);
    const r = slot % this.perSlab;
    const second = Math.floor(atMs / 1000);
    const start = r * this.capacity;
    let count = slab.count[r]!;
    if (count === 0) {
      slab.base[r] = second;
      slab.head[r] = 0;
    } else {
      const newest = slab.base[r]! + slab.offsets[start + ((slab.head[r]! + count - 1) % this.capacity)]!;
      if (second <= newest) return false;
      if (second - slab.base[r]! > MAX_OFFSET) count = this.rebase(slab, r, second);
    }
    const i = start + ((slab.head[r]! + count) % this.capacity);
    slab.offsets[i] = second - slab.base[r]!;
    slab.pages[i] = Math.min(MAX_PAGES, Math.round(workingSetBytes / PAGE_BYTES));
    slab.restarts[i] = Math.min(MAX_RESTARTS, Math.max(0, Math.floor(restarts)));
    if (count < this.capacity) slab.count[r] = count + 1;
    else slab.head[r] = (slab.head[r]! + 1) % this.capacity;
    return true;
  }

  /** Moves a ring's base so that `second` fits, dropping samples too old to (they are older than any window). */
  private rebase(slab: Slab, r: number, second: number): number {
    const start = r * this.capacity;
    const oldBase = slab.base[r]!;
    let count = slab.count[r]!;
    let head = slab.head[r]!;
    while (count > 0 && second - (oldBase + slab.offsets[start + head]!) > MAX_OFFSET) {
      head = (head + 1) % this.capacity;
      count -= 1;
    }
    const newBase = count > 0 ? oldBase + slab.offsets[start + head]! : second;
    for (let k = 0; k < count; k++) {
      const i = start + ((head + k) % this.capacity);
      slab.offsets[i] = slab.offsets[i]! - (newBase - oldBase);
    }
    slab.base[r] = newBase;
    slab.head[r] = head;
    slab.count[r] = count;
    return count;
  }

  /** The ring's samples taken in [fromMs, untilMs], oldest first. */
  samples(slot: number, fromMs = -Infinity, untilMs = Infinity): MemorySample[] {
    const slab = this.slab(slot);
    const r = slot % this.perSlab;
    const start = r * this.capacity;
    const out: MemorySample[] = [];
    for (let k = 0; k < slab.count[r]!; k++) {
      const i = start + ((slab.head[r]! + k) % this.capacity);
      const at = (slab.base[r]! + slab.offsets[i]!) * 1000;
      if (at < fromMs || at > untilMs) continue;
      out.push({ at, workingSetBytes: slab.pages[i]! * PAGE_BYTES, restarts: slab.restarts[i]! });
    }
    return out;
  }

  /** The newest sample's working set, or undefined for an empty ring. */
  latestBytes(slot: number): number | undefined {
    const slab = this.slab(slot);
    const r = slot % this.perSlab;
    const count = slab.count[r]!;
    if (!count) return undefined;
    return slab.pages[r * this.capacity + ((slab.head[r]! + count - 1) % this.capacity)]! * PAGE_BYTES;
  }

  /** Rings in use. */
  get size(): number {
    return this.live;
  }

  /** Bytes of typed arrays held, in use or free. */
  get bytes(): number {
    return this.slabs.reduce((sum, s) => sum + s.bytes, 0);
  }

  private slab(slot: number): Slab {
    const slab = this.slabs[Math.floor(slot / this.perSlab)];
    if (!slab || slot < 0) throw new RangeError(`no ring ${slot}`);
    return slab;
  }
}
