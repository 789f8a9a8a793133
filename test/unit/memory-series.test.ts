import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSeries, encodeSeries, MemorySeriesError, MemorySeriesSchema, PAGE_BYTES, safeDecodeSeries, type MemorySeries } from '#shared/memory-series.ts';
import { GiB } from '#shared/quantity.ts';
import { climb, makeSeries, START } from '../support/memory-series.ts';

/** Any series the schema accepts, with page-sized values (what the kernel counts in) up to 64 GiB. */
const anySeries = (options: { step?: number; length?: number } = {}) =>
  fc
    .record({
      container: fc.constantFrom('api', 'istio-proxy', 'a-very-long-container-name-of-sixty-three-characters-at-most-x'),
      start: fc.integer({ min: 0, max: 4_000_000_000 }),
      samples: fc.array(
        fc.record({
          interval: options.step ? fc.constant(options.step) : fc.integer({ min: 1, max: 3600 }),
          pages: fc.integer({ min: 0, max: (64 * GiB) / PAGE_BYTES }),
          rssPages: fc.option(fc.integer({ min: 0, max: (64 * GiB) / PAGE_BYTES }), { nil: undefined }),
          restarted: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        }),
        options.length ? { minLength: options.length, maxLength: options.length } : { maxLength: 200 },
      ),
      limitBytes: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: undefined }),
      requestBytes: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
      killedAfter: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
    })
    .map(({ container, start, samples, limitBytes, requestBytes, killedAfter }) => {
      let second = start;
      let restarts = 0;
      const series: MemorySeries = {
        container,
        samples: samples.map((s, i) => {
          if (i > 0) second += s.interval;
          const sample: MemorySeries['samples'][number] = { at: second * 1000, workingSetBytes: s.pages * PAGE_BYTES };
          if (s.rssPages !== undefined) sample.rssBytes = s.rssPages * PAGE_BYTES;
          if (s.restarted !== undefined) sample.restarts = restarts += s.restarted;
          return sample;
        }),
      };
      if (limitBytes !== undefined) series.limitBytes = limitBytes;
      if (requestBytes !== undefined) series.requestBytes = requestBytes;
      if (killedAfter !== undefined) series.killedAt = (second + killedAfter) * 1000;
      return MemorySeriesSchema.parse(series);
    });

/** What an envelope would carry: the encoded form as JSON text. */
const wire = (series: MemorySeries) => JSON.stringify(encodeSeries(series));

describe('encodeSeries / decodeSeries', () => {
  it('gives back exactly the series it was given, through JSON', () => {
    fc.assert(
      fc.property(anySeries(), (series) => {
        expect(decodeSeries(JSON.parse(wire(series)))).toEqual(series);
      }),
      { numRuns: 300 },
    );
  });

  it('rounds values that are not whole pages to the nearest page, and only those', () => {
    fc.assert(
      fc.property(anySeries({ length: 20 }), fc.array(fc.integer({ min: 1, max: PAGE_BYTES - 1 }), { minLength: 20, maxLength: 20 }), (series, offsets) => {
        const ragged = { ...series, samples: series.samples.map((s, i) => ({ ...s, workingSetBytes: s.workingSetBytes + offsets[i]! })) };
        const back = decodeSeries(encodeSeries(ragged));
        back.samples.forEach((s, i) => {
          expect(Math.abs(s.workingSetBytes - ragged.samples[i]!.workingSetBytes)).toBeLessThanOrEqual(PAGE_BYTES / 2);
          expect(s.at).toBe(ragged.samples[i]!.at);
        });
      }),
    );
  });

  it('carries 30 min of 30 s samples in well under 2 KB, whatever their values', () => {
    fc.assert(
      fc.property(anySeries({ step: 30, length: 60 }), (series) => {
        expect(wire(series).length).toBeLessThan(1400);
      }),
      { numRuns: 300 },
    );
  });

  it('carries a real half hour — a climb with noise, RSS and restart counts — in a few hundred bytes', () => {
    const series = makeSeries({ minutes: 30, level: climb(300, 3), rss: climb(250, 2.5), noiseMi: 4, limitMi: 512, requestMi: 256, killedAfterSeconds: 20 });
    expect(series.samples).toHaveLength(60);
    expect(wire(series).length).toBeLessThan(600);
    expect(decodeSeries(JSON.parse(wire(series)))).toEqual(series);
  });

  it('round-trips an empty series', () => {
    const empty: MemorySeries = { container: 'api', samples: [] };
    expect(decodeSeries(encodeSeries(empty))).toEqual(empty);
  });

  it.each([
    ['a character outside base64url', { t: '*' }, /stream t holds "\*"/],
    ['a number cut off in the middle', { w: 'g' }, /stream w ends in the middle of a number/],
    ['streams of different lengths', { t: 'AAA' }, /streams disagree on the number of samples/],
    ['an unknown version', { v: 2 }, /v: Invalid input/],
    ['instants out of order', { t: 'AD' }, /samples must be in time order/],
  ])('refuses %s with a coded error', (_, change, message) => {
    const encoded = { ...encodeSeries(makeSeries({ minutes: 1.5, level: climb(100, 1), limitMi: 512 })), ...change };
    expect(() => decodeSeries(encoded)).toThrow(MemorySeriesError);
    expect(() => decodeSeries(encoded)).toThrow(message);
    const result = safeDecodeSeries(encoded);
    expect(result).toMatchObject({ success: false, input: encoded });
  });

  it('accepts only whole-second instants, in order', () => {
    const sample = (at: number) => ({ at, workingSetBytes: 1 });
    expect(MemorySeriesSchema.safeParse({ container: 'api', samples: [sample(START), sample(START + 30_000)] }).success).toBe(true);
    expect(MemorySeriesSchema.safeParse({ container: 'api', samples: [sample(START), sample(START + 500)] }).success).toBe(false);
    expect(MemorySeriesSchema.safeParse({ container: 'api', samples: [sample(START), sample(START)] }).success).toBe(false);
  });
});
