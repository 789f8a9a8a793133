// Each sampled container's recent memory (docs/domain.md §14): a bounded ring of (time, working set, restart count)
// per container, kept in a few shared typed arrays instead of objects. A sample costs 5 bytes here where an object
// would cost about 60, and at 10,000 containers that is the forwarder's memory budget (docs/architecture.md,
// "Budgets"). Rings live in slabs of a few hundred; a freed ring is reused, and a slab at the end that holds no live
// ring is given back, so a cluster that shrinks gives memory back too.
//
// How 5 bytes hold a sample:
// - time: 16-bit seconds from the ring's base, which moves forward when the newest sample would not fit, so any
//   window under 2^16 s (18 h) fits; samples older than that are dropped, being older than any window;
// - working set: 16 bits, in units of a page times a power of two chosen per ring — twice its first sample fits, and
//   when a later one does not, the unit doubles and the ring's samples are halved. A sample is kept to a page, or to
//   1/32,768 of the largest its ring has held, whichever is coarser: far finer than a curve is read;
// - restarts: the low 8 bits, with the ring's newest full count. Counts only grow, by less than 256 between two polls
//   (the kubelet waits at least 10 s between restarts), so each older count is the newer one less the difference.
import type { MemorySample } from '#shared/memory-series.ts';
import { MAX_SAMPLES, PAGE_BYTES } from '#shared/memory-series-codec.ts';

/** The longest window a ring can span (see above), with room to spare. */
export const MAX_WINDOW_MS = 12 * 3600_000;
const MAX_OFFSET = 0xffff;
const MAX_UNITS = 0xffff;
/** About 80 KiB of samples per slab, whatever the ring's size. */
const SLAB_SAMPLES = 16_384;

class Slab {
  readonly offsets: Uint16Array;
  readonly units: Uint16Array;
  readonly restarts: Uint8Array;
  /** Per ring: the epoch second its offsets count from, its oldest sample, how many it holds, its unit, its count. */
  readonly base: Uint32Array;
  readonly head: Uint16Array;
  readonly count: Uint16Array;
  readonly scale: Uint8Array;
  readonly lastRestarts: Uint32Array;
  used = 0;

  constructor(rings: number, capacity: number) {
    this.offsets = new Uint16Array(rings * capacity);
    this.units = new Uint16Array(rings * capacity);
    this.restarts = new Uint8Array(rings * capacity);
    this.base = new Uint32Array(rings);
    this.head = new Uint16Array(rings);
    this.count = new Uint16Array(rings);
    this.scale = new Uint8Array(rings);
    this.lastRestarts = new Uint32Array(rings);
    // Touch every page now: the kernel lends zeroed memory lazily, so an untouched slab would look free in RSS and
    // grow it half an hour later, as its rings fill. What a slab costs shows from the first sample.
    this.offsets.fill(0);
    this.units.fill(0);
    this.restarts.fill(0);
  }

  get bytes(): number {
    return [this.offsets, this.units, this.restarts, this.base, this.head, this.count, this.scale, this.lastRestarts].reduce((sum, a) => sum + a.byteLength, 0);
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
    const pages = Math.max(0, Math.round(workingSetBytes / PAGE_BYTES));
    const start = r * this.capacity;
    let count = slab.count[r]!;
    if (count === 0) {
      slab.base[r] = second;
      slab.head[r] = 0;
      let scale = 0;
      while ((2 * pages) / 2 ** scale > MAX_UNITS) scale += 1;
      slab.scale[r] = scale;
    } else {
      const newest = slab.base[r]! + slab.offsets[start + ((slab.head[r]! + count - 1) % this.capacity)]!;
      if (second <= newest) return false;
      if (second - slab.base[r]! > MAX_OFFSET) count = this.rebase(slab, r, second);
      while (Math.round(pages / 2 ** slab.scale[r]!) > MAX_UNITS) this.coarsen(slab, r);
    }
    const i = start + ((slab.head[r]! + count) % this.capacity);
    slab.offsets[i] = second - slab.base[r]!;
    slab.units[i] = Math.round(pages / 2 ** slab.scale[r]!);
    const n = Math.max(0, Math.floor(restarts));
    slab.restarts[i] = n % 256;
    slab.lastRestarts[r] = n;
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

  /** Doubles a ring's unit, halving what it holds. */
  private coarsen(slab: Slab, r: number): void {
    const start = r * this.capacity;
    for (let k = 0; k < slab.count[r]!; k++) {
      const i = start + ((slab.head[r]! + k) % this.capacity);
      slab.units[i] = Math.round(slab.units[i]! / 2);
    }
    slab.scale[r] = slab.scale[r]! + 1;
  }

  /** The ring's samples taken in [fromMs, untilMs], oldest first. */
  samples(slot: number, fromMs = -Infinity, untilMs = Infinity): MemorySample[] {
    const slab = this.slab(slot);
    const r = slot % this.perSlab;
    const start = r * this.capacity;
    const unit = PAGE_BYTES * 2 ** slab.scale[r]!;
    const out: MemorySample[] = [];
    // Newest first, so that each restart count follows from the one after it.
    let restarts = slab.lastRestarts[r]!;
    for (let k = slab.count[r]! - 1; k >= 0; k--) {
      const i = start + ((slab.head[r]! + k) % this.capacity);
      if (k < slab.count[r]! - 1) {
        const newer = start + ((slab.head[r]! + k + 1) % this.capacity);
        restarts = Math.max(0, restarts - ((slab.restarts[newer]! - slab.restarts[i]! + 256) % 256));
      }
      const at = (slab.base[r]! + slab.offsets[i]!) * 1000;
      if (at < fromMs || at > untilMs) continue;
      out.push({ at, workingSetBytes: slab.units[i]! * unit, restarts });
    }
    return out.reverse();
  }

  /** The newest sample's working set, or undefined for an empty ring. */
  latestBytes(slot: number): number | undefined {
    const slab = this.slab(slot);
    const r = slot % this.perSlab;
    const count = slab.count[r]!;
    if (!count) return undefined;
    return slab.units[r * this.capacity + ((slab.head[r]! + count - 1) % this.capacity)]! * PAGE_BYTES * 2 ** slab.scale[r]!;
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
