import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyCurve, CurveSchema, MIN_SAMPLES, MIN_SPAN_MINUTES, type ClassifyOptions, type Curve } from '#shared/memory-curve.ts';
import { MiB } from '#shared/quantity.ts';
import { theilSen } from '#shared/theil-sen.ts';
import { bursts, climb, makeSeries, steady, stepUp, type SeriesSpec } from '../support/memory-series.ts';

interface Row {
  name: string;
  spec: SeriesSpec;
  options?: ClassifyOptions;
  want: Partial<Curve>;
  /** The slope the shape was drawn with, MiB/min, and how close the fit must come. */
  slopeMi?: [number, number];
  evidence: RegExp;
}

const killedAtLimit = { killedAtLimit: true };

const rows: Row[] = [
  {
    name: 'a steady climb to the kill is a leak, with its slope and how long it climbed',
    spec: { minutes: 30, level: climb(380, 4), noiseMi: 2, limitMi: 512, killedAfterSeconds: 20 },
    want: { kind: 'leak', samples: 60, restarts: 0, runsBefore: 0 },
    slopeMi: [4, 0.15],
    evidence: /^working set rose [34](\.\d)? MiB\/min for (29|30) min before the kill, without falling back \(one run, R² (0\.9\d|1\.00)\) \(60 samples over 30 min\)$/,
  },
  {
    name: 'runs that each climb alike and restart are a leak across restarts',
    spec: { minutes: 45, level: climb(150, 20), noiseMi: 3, restartsAt: [15, 30], limitMi: 512, killedAfterSeconds: 20 },
    options: killedAtLimit,
    want: { kind: 'leak', restarts: 2, runsBefore: 2 },
    slopeMi: [20, 0.5],
    evidence: /^working set rose (19|20)(\.\d)? MiB\/min for 15 min before the kill; the 2 runs before it climbed alike \(\d+\.\d–\d+\.\d MiB\/min\) \(90 samples over 45 min\)$/,
  },
  {
    name: 'runs that each peak higher than the last are a leak across restarts',
    spec: { minutes: 40, level: (m) => 100 + 80 * m.run + 5 * m.sinceStart, noiseMi: 2, restartsAt: [10, 20, 30], limitMi: 512, killedAfterSeconds: 20 },
    want: { kind: 'leak', restarts: 3, runsBefore: 3 },
    slopeMi: [5, 0.5],
    evidence: /^working set rose [45](\.\d)? MiB\/min for (9|10) min before the kill; each of 3 restarts peaked higher \(80 samples over 40 min\)$/,
  },
  {
    name: 'restarts too quick for a curve of their own, each peaking higher, are still a leak',
    spec: { minutes: 12, level: (m) => 100 + 30 * m.run + 10 * m.sinceStart, restartsAt: [1.5, 3, 4.5, 6, 7.5, 9, 10.5], limitMi: 512 },
    want: { kind: 'leak', restarts: 7, runsBefore: 7 },
    evidence: /^each of 7 restarts peaked higher \(110Mi → 140Mi → 170Mi → 200Mi → 230Mi → 260Mi → 290Mi → 320Mi\), 20 MiB\/min across restarts \(24 samples over 12 min\)$/,
  },
  {
    name: 'a climb whose lows rise through a collector sawtooth is a leak',
    spec: { minutes: 30, level: (m) => 200 + 4 * m.minute + 90 * ((m.minute % 6) / 6), noiseMi: 2, limitMi: 512 },
    want: { kind: 'leak' },
    evidence: /^working set rose \d\.\d MiB\/min for 30 min up to the last sample, each low higher than the last \(one run, R² 0\.\d\d\)/,
  },
  {
    name: 'single wild samples do not bend the Theil–Sen slope or break the climb',
    spec: { minutes: 30, level: (m) => (Math.round(m.minute * 2) % 9 === 4 ? 250 : 300 + 5 * m.minute), noiseMi: 2, limitMi: 1024 },
    want: { kind: 'leak' },
    slopeMi: [5, 0.1],
    evidence: /^working set rose [45](\.\d)? MiB\/min for (28|29|30) min up to the last sample, without falling back/,
  },
  {
    name: 'a jump in the last samples before the kill is a spike',
    spec: { minutes: 30, level: (m) => (m.minute >= 29.5 ? 480 : 250), noiseMi: 3, limitMi: 512, killedAfterSeconds: 20 },
    want: { kind: 'spike', jumpSeconds: 30 },
    evidence: /^working set jumped from 2\d\d(\.\d)?Mi to 4\d\d(\.\d)?Mi \(9\d % of the 512Mi limit\) within 30 s, 20 s before the kill, after holding near 2\d\d(\.\d)?Mi \(60 samples over 30 min\)$/,
  },
  {
    name: 'killed at the limit while the last sample sat far below it: a spike the sampling could not see',
    spec: { minutes: 30, level: steady(210), noiseMi: 3, limitMi: 512, killedAfterSeconds: 40 },
    options: killedAtLimit,
    want: { kind: 'spike', unseen: true, jumpSeconds: 40 },
    evidence: /^last sampled at 2\d\d(\.\d)?Mi \(4\d % of the 512Mi limit\) 40 s before the kill at the limit: it got there faster than the 30 s sampling could see/,
  },
  {
    name: 'the same curve, when the kill is not known to be at the limit, is flat',
    spec: { minutes: 30, level: steady(210), noiseMi: 3, limitMi: 512, killedAfterSeconds: 40 },
    want: { kind: 'flat' },
    evidence: /^working set flat at ~2\d\d(\.\d)?Mi \(±\d+(\.\d)?Mi, 4\d % of the 512Mi limit\) for 30 min before the kill/,
  },
  {
    name: 'sitting just under the limit for the last minutes is a plateau',
    spec: { minutes: 25, level: (m) => (m.minute < 10 ? 300 + 19.5 * m.minute : 497), noiseMi: 4, limitMi: 512, killedAfterSeconds: 20 },
    want: { kind: 'plateau' },
    evidence: /^working set sat at 4\d\d(\.\d)?Mi–[45]\d\d(\.\d)?Mi \(9\d–(9\d|100) % of the 512Mi limit\) for 1\d min before the kill, after climbing from [23]\d\d(\.\d)?Mi/,
  },
  {
    name: 'a plateau where RSS stays low says the working set was mostly page cache',
    spec: { minutes: 20, level: steady(495), rss: steady(180), noiseMi: 3, limitMi: 512, killedAfterSeconds: 20 },
    want: { kind: 'plateau' },
    evidence: /; its RSS was ~180Mi, so much of that was page cache \(40 samples over 20 min\)$/,
  },
  {
    name: 'bursts that recede to the same baseline are load',
    spec: { minutes: 30, level: bursts(250, 450, 10, 6), noiseMi: 3, limitMi: 512, killedAfterSeconds: 20 },
    want: { kind: 'load', swings: 3 },
    evidence: /^working set rose and fell back 3 times between 2\d\d(\.\d)?Mi and 4\d\d(\.\d)?Mi \([89]\d % of the 512Mi limit\): memory that follows the work, not a leak/,
  },
  {
    name: 'a step up that then holds is load, not a leak',
    spec: { minutes: 30, level: stepUp(200, 350, 10), noiseMi: 3, limitMi: 512 },
    want: { kind: 'load', swings: 0 },
    evidence: /^working set stepped from 1?\d\d\d(\.\d)?Mi up to 3\d\d(\.\d)?Mi and held at 3\d\d(\.\d)?Mi \(6\d % of the 512Mi limit\): growth that levels off/,
  },
  {
    name: 'noisy but flat is flat',
    spec: { minutes: 30, level: steady(260), noiseMi: 15, limitMi: 512 },
    want: { kind: 'flat' },
    evidence: /^working set flat at ~2\d\d(\.\d)?Mi \(±\d\d(\.\d)?Mi, [45]\d % of the 512Mi limit\) for 30 min up to the last sample/,
  },
  {
    name: 'a ten-minute gap in a climb changes neither the kind nor the slope, and is reported',
    spec: { minutes: 40, level: climb(200, 4), noiseMi: 2, limitMi: 512, missing: (m) => m >= 15 && m < 25 },
    want: { kind: 'leak', gaps: 1, longestGapMinutes: 10.5 },
    slopeMi: [4, 0.15],
    evidence: /\(60 samples over 40 min, one gap of up to 11 min\)$/,
  },
  {
    name: 'a climb that went on through a gap just before the kill is not a spike',
    spec: { minutes: 30, level: climb(355, 5), noiseMi: 2, limitMi: 512, missing: (m) => m >= 22 && m < 29, killedAfterSeconds: 10 },
    options: killedAtLimit,
    want: { kind: 'leak', gaps: 1 },
    slopeMi: [5, 0.2],
    evidence: /^working set rose 5 MiB\/min for (29|30) min before the kill/,
  },
  {
    name: 'a level reached during a gap is not a jump',
    spec: { minutes: 30, level: (m) => (m.minute < 20 ? 250 : 450), noiseMi: 3, limitMi: 512, missing: (m) => m >= 20 && m < 29, killedAfterSeconds: 20 },
    want: { kind: 'load', gaps: 1 },
    evidence: /^working set stepped from 2\d\d(\.\d)?Mi up to 4\d\d(\.\d)?Mi/,
  },
  {
    name: 'a long silence before the kill is said',
    spec: { minutes: 30, level: climb(300, 3), noiseMi: 2, limitMi: 512, missing: (m) => m >= 25, killedAfterSeconds: 300 },
    want: { kind: 'leak' },
    evidence: /; no sample in the last 5 min before the kill \(50 samples over 25 min\)$/,
  },
  {
    name: 'five samples over two minutes are too few, and it says what would do',
    spec: { minutes: 2.5, level: steady(200), limitMi: 512 },
    want: { kind: 'too-few', samples: 5, needed: { samples: MIN_SAMPLES, minutes: MIN_SPAN_MINUTES } },
    evidence: /^only 5 samples over 2 min before the last sample: at least 8 samples over 4 min are needed to read a curve$/,
  },
  {
    name: 'a crash loop whose runs are too short to read and do not peak higher is too few',
    spec: { minutes: 10, level: climb(100, 100), restartsAt: [1, 2, 3, 4, 5, 6, 7, 8, 9], limitMi: 512 },
    want: { kind: 'too-few', restarts: 9 },
    evidence: /^restarted 9 times in 10 min: no run lasted 4 samples over 2 min: at least 8 samples/,
  },
  {
    name: 'no samples at all are too few',
    spec: { minutes: 10, level: steady(100), missing: () => true, limitMi: 512 },
    want: { kind: 'too-few', samples: 0 },
    evidence: /^no memory samples: /,
  },
];

describe('classifyCurve', () => {
  // Each shape is drawn with ten different draws of noise: a rule that holds for one lucky draw only fails here.
  it.each(rows)('$name', ({ spec, options, want, slopeMi, evidence }) => {
    for (let seed = 1; seed <= 10; seed++) {
      const curve = classifyCurve(makeSeries({ ...spec, seed }), options);
      expect(curve).toMatchObject(want);
      expect(slopeMi ? Math.abs(curve.slopeBytesPerMinute / MiB - slopeMi[0]) : 0).toBeLessThanOrEqual(slopeMi?.[1] ?? 0);
      expect(curve.evidence).toMatch(evidence);
    }
  });

  it('reads only the samples up to the kill', () => {
    const series = makeSeries({ minutes: 30, level: climb(200, 5), noiseMi: 1, limitMi: 512 });
    const killedAt = series.samples[39]!.at;
    const curve = classifyCurve({ ...series, killedAt });
    expect(curve).toMatchObject({ samples: 40, peakAt: killedAt });
  });

  it('reads any series — restarts, gaps, limit or none, killed or not — and reports its highest sample as the peak', () => {
    const point = fc.record({ mib: fc.integer({ min: 1, max: 4096 }), restarted: fc.boolean(), missing: fc.boolean() });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 120 }), fc.option(fc.integer({ min: 64, max: 4096 }), { nil: undefined }), fc.option(fc.nat(600), { nil: undefined }), fc.boolean(), (points, limitMi, killedAfterSeconds, killedAtLimit) => {
        const restartsAt = points.flatMap((p, i) => (p.restarted && i > 0 ? [i / 2] : []));
        const spec: SeriesSpec = { minutes: points.length / 2, level: (m) => points[Math.round(m.minute * 2)]!.mib, restartsAt, missing: (minute) => points[Math.round(minute * 2)]!.missing };
        if (limitMi !== undefined) spec.limitMi = limitMi;
        const series = makeSeries(spec);
        if (killedAfterSeconds !== undefined && series.samples.length) series.killedAt = series.samples.at(-1)!.at + killedAfterSeconds * 1000;
        const curve = CurveSchema.parse(classifyCurve(series, { killedAtLimit }));
        expect(curve.peakBytes).toBe(Math.max(0, ...series.samples.map((s) => s.workingSetBytes)));
        expect(curve.samples).toBe(series.samples.length);
        const tooFew = series.samples.length < MIN_SAMPLES || curve.spanMinutes < MIN_SPAN_MINUTES;
        expect(tooFew ? curve.kind : 'too-few').toBe('too-few');
        expect(curve.evidence).toMatch(/\S/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('theilSen', () => {
  it('finds the line through points with up to a quarter of them wild', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: 0, max: 1000, noNaN: true }), fc.array(fc.nat(39), { maxLength: 10 }), (slope, intercept, wild) => {
        const xs = Array.from({ length: 40 }, (_, i) => i * 0.5);
        const ys = xs.map((x, i) => intercept + slope * x + (wild.includes(i) ? 10_000 : 0));
        const line = theilSen(xs, ys);
        expect(line.slope).toBeCloseTo(slope, 6);
        expect(line.intercept).toBeCloseTo(intercept, 6);
      }),
    );
  });
});
