import { describe, expect, it } from 'vitest';
import { MemoryRings } from '../../../forwarder/memory-rings.ts';
import { MAX_SAMPLES } from '#shared/memory-series.ts';

const Mi = 2 ** 20;
const T = Date.UTC(2026, 10, 27, 10, 0, 0);
const s = (seconds: number) => T + seconds * 1000;

describe('MemoryRings', () => {
  it('keeps the newest samples up to its capacity, oldest first, each with its restart count', () => {
    const rings = new MemoryRings(4);
    const r = rings.allocate();
    for (let i = 0; i < 6; i++) rings.push(r, s(i * 30), (100 + i) * Mi, i < 4 ? 0 : 1);
    expect(rings.samples(r)).toEqual([
      { at: s(60), workingSetBytes: 102 * Mi, restarts: 0 },
      { at: s(90), workingSetBytes: 103 * Mi, restarts: 0 },
      { at: s(120), workingSetBytes: 104 * Mi, restarts: 1 },
      { at: s(150), workingSetBytes: 105 * Mi, restarts: 1 },
    ]);
    expect(rings.latestBytes(r)).toBe(105 * Mi);
  });

  it('takes one sample per instant, in time order: the same scrape answered twice is not a second sample', () => {
    const rings = new MemoryRings(8);
    const r = rings.allocate();
    expect(rings.push(r, s(0), 100 * Mi, 0)).toBe(true);
    expect(rings.push(r, s(0) + 400, 120 * Mi, 0)).toBe(false); // same whole second
    expect(rings.push(r, s(-15), 90 * Mi, 0)).toBe(false);
    expect(rings.push(r, s(15), 110 * Mi, 0)).toBe(true);
    expect(rings.samples(r).map((x) => [x.at, x.workingSetBytes])).toEqual([
      [s(0), 100 * Mi],
      [s(15), 110 * Mi],
    ]);
  });

  it('rounds to whole pages and whole seconds, as the encoding carries them', () => {
    const rings = new MemoryRings(2);
    const r = rings.allocate();
    rings.push(r, s(0) + 999, 100 * Mi + 2049, 3);
    expect(rings.samples(r)).toEqual([{ at: s(0), workingSetBytes: 100 * Mi + 4096, restarts: 3 }]);
  });

  it('answers only the samples within a time range (a window, up to a kill)', () => {
    const rings = new MemoryRings(10);
    const r = rings.allocate();
    for (let i = 0; i < 10; i++) rings.push(r, s(i * 30), (200 + i) * Mi, 0);
    expect(rings.samples(r, s(60), s(150)).map((x) => x.at)).toEqual([s(60), s(90), s(120), s(150)]);
  });

  it('keeps samples across the 18 h that a 16-bit offset spans, dropping those too old to fit', () => {
    const rings = new MemoryRings(3);
    const r = rings.allocate();
    rings.push(r, s(0), 1 * Mi, 0);
    rings.push(r, s(40_000), 2 * Mi, 0);
    rings.push(r, s(70_000), 3 * Mi, 0); // 70,000 s after the first: the first no longer fits beside it
    expect(rings.samples(r).map((x) => [x.at, x.workingSetBytes])).toEqual([
      [s(40_000), 2 * Mi],
      [s(70_000), 3 * Mi],
    ]);
    rings.push(r, s(200_000), 4 * Mi, 0); // days later, after sampling stopped: only the new one
    expect(rings.samples(r).map((x) => x.at)).toEqual([s(200_000)]);
  });

  it('gives a released ring to the next container, empty', () => {
    const rings = new MemoryRings(4);
    const a = rings.allocate();
    rings.push(a, s(0), 10 * Mi, 0);
    rings.release(a);
    expect(rings.size).toBe(0);
    const b = rings.allocate();
    expect(b).toBe(a);
    expect(rings.samples(b)).toEqual([]);
    expect(rings.size).toBe(1);
  });

  it('costs 5 bytes a sample: 60 samples (30 min at 30 s) in 300 bytes and a few a ring, at 10,000 containers', () => {
    const rings = new MemoryRings(60);
    const slots = Array.from({ length: 10_000 }, () => rings.allocate());
    for (const slot of slots) for (let i = 0; i < 70; i++) rings.push(slot, s(i * 30), (100 + (i % 7)) * Mi, 0);
    expect(rings.size).toBe(10_000);
    const perRing = rings.bytes / rings.size;
    expect(perRing).toBeGreaterThanOrEqual(60 * 5);
    expect(perRing).toBeLessThan(320);
    expect(rings.samples(slots[9_999]!)).toHaveLength(60);
  });

  it('keeps a container that grows a thousandfold to within 1/32,768 of its largest sample', () => {
    const rings = new MemoryRings(8);
    const r = rings.allocate();
    const sizes = [10 * Mi, 100 * Mi, 1024 * Mi, 10 * 1024 * Mi + 12_345 * 4096];
    sizes.forEach((bytes, i) => rings.push(r, s(i * 30), bytes, 0));
    const kept = rings.samples(r).map((x) => x.workingSetBytes);
    const largest = sizes.at(-1)!;
    kept.forEach((bytes, i) => expect(Math.abs(bytes - sizes[i]!)).toBeLessThanOrEqual(largest / 32_768));
    expect(rings.latestBytes(r)).toBe(kept.at(-1));
  });

  it('gives every sample its full restart count, past 255', () => {
    const rings = new MemoryRings(5);
    const r = rings.allocate();
    [254, 255, 256, 256, 300].forEach((n, i) => rings.push(r, s(i * 30), 64 * Mi, n));
    expect(rings.samples(r).map((x) => x.restarts)).toEqual([254, 255, 256, 256, 300]);
    expect(rings.samples(r, s(30), s(60)).map((x) => x.restarts)).toEqual([255, 256]);
  });

  it('gives memory back when the containers at the end go, and reuses freed rings before growing', () => {
    const rings = new MemoryRings(60);
    const slots = Array.from({ length: 2_000 }, () => rings.allocate());
    const full = rings.bytes;
    for (const slot of slots.slice(1_000)) rings.release(slot);
    expect(rings.bytes).toBeLessThan(full * 0.55);
    for (const slot of slots.slice(0, 500)) rings.release(slot);
    const before = rings.bytes;
    for (let i = 0; i < 500; i++) rings.allocate();
    expect(rings.bytes).toBe(before);
    expect(rings.size).toBe(1_000);
  });

  it('refuses a size no envelope could carry', () => {
    expect(() => new MemoryRings(MAX_SAMPLES + 1)).toThrow(RangeError);
    expect(() => new MemoryRings(0)).toThrow(RangeError);
  });
});
