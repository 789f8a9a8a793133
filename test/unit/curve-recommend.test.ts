import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recommendFromCurve, type CurveSizingOptions } from '#shared/curve-recommend.ts';
import { classifyCurve, CurveKindSchema, type Curve } from '#shared/memory-curve.ts';
import type { MemorySeries } from '#shared/memory-series.ts';
import { MiB } from '#shared/quantity.ts';
import { roundUpToStep } from '#shared/recommend-limit.ts';
import { climb, makeSeries, steady, type SeriesSpec } from '../support/memory-series.ts';

const node = (mi: number): CurveSizingOptions => ({ nodeCap: mi * MiB, capSource: `node n1's ${mi}Mi allocatable less other requests` });

describe('recommendFromCurve', () => {
  it.each<{ name: string; spec: SeriesSpec; options: CurveSizingOptions; want: Record<string, unknown>; rationale: RegExp; short: RegExp }>([
    {
      name: 'a leak killed at its limit: +25 % over the limit it reached, and how long that lasts at its slope',
      spec: { minutes: 30, level: climb(380, 4), noiseMi: 2, limitMi: 512, killedAfterSeconds: 20 },
      options: { killedAtLimit: true, ...node(14 * 1024) },
      want: { quantity: '640Mi', capped: false, restsOn: { basis: 'limit', rule: 'krr-oom-limit', samples: 60 } },
      rationale:
        /^it reached its 512Mi limit when killed \(the highest of 60 samples over 30 min was 49\d(\.\d)?Mi\); the killed limit \+ 25 %, krr's floor after an OOM: 640Mi; fits node n1's 14336Mi allocatable less other requests; a higher limit only buys time: at 4 MiB\/min, 640Mi lasts ~32 min longer$/,
      short: /^\+25 % from 60 samples over 30 min; buys ~32 min at 4 MiB\/min; fits the node$/,
    },
    {
      name: 'the same leak on a node with room for 600Mi: capped, saying so, and the time bought shrinks',
      spec: { minutes: 30, level: climb(380, 4), noiseMi: 2, limitMi: 512, killedAfterSeconds: 20 },
      options: { killedAtLimit: true, ...node(600) },
      want: { quantity: '576Mi', capped: true },
      rationale: /; capped at node n1's 600Mi allocatable less other requests \(640Mi wanted\); a higher limit only buys time: at 4 MiB\/min, 576Mi lasts ~16 min longer$/,
      short: /^\+25 % from 60 samples over 30 min; buys ~16 min at 4 MiB\/min; capped at what the node can give \(640Mi wanted\)$/,
    },
    {
      name: 'no room at all on the node: it keeps the limit and says to move it',
      spec: { minutes: 30, level: climb(380, 4), noiseMi: 2, limitMi: 512, killedAfterSeconds: 20 },
      options: { killedAtLimit: true, ...node(530) },
      want: { quantity: '512Mi', capped: true, buysTime: { minutes: 0 } },
      rationale: /; the node has no room above the 512Mi it already has \(node n1's 530Mi allocatable less other requests\): move it to a larger node or shrink its use; a higher limit would only buy time, and there is no room for one/,
      short: /^\+25 % from 60 samples over 30 min; the node has no room to give more$/,
    },
    {
      name: 'a container with no limit killed by a node OOM: its peak + 20 %, VPA after an OOM',
      spec: { minutes: 30, level: steady(1500), noiseMi: 10, requestMi: 512, killedAfterSeconds: 20 },
      options: node(14 * 1024),
      want: { quantity: '1920Mi', restsOn: { basis: 'peak', rule: 'vpa-oom-ratio' } },
      rationale: /^its working set peaked at 1\.5Gi \(the highest of 60 samples over 30 min\); \+20 %, VPA's bump after an OOM: 1920Mi; fits node/,
      short: /^peak \+ 2\d % from 60 samples over 30 min; fits the node$/,
    },
    {
      name: 'a warning, on course to reach its limit: sized as the kill there would be, saying so, and what a leak\'s higher limit buys',
      spec: { minutes: 15, level: climb(12.5, 31), noiseMi: 1, limitMi: 512 },
      options: { reachesLimitInMinutes: 2, ...node(14 * 1024) },
      want: { quantity: '640Mi', capped: false, restsOn: { basis: 'limit', rule: 'krr-oom-limit', samples: 30 } },
      rationale:
        /^it is on course to reach its 512Mi limit in ~2 min, so it is sized as the kill there would be \(the highest of 30 samples over 15 min so far was 4\d\d(\.\d)?Mi\); the limit \+ 25 %, krr's floor after an OOM there: 640Mi; fits node n1's 14336Mi allocatable less other requests; a higher limit only buys time: at 31 MiB\/min, 640Mi lasts ~4 min longer$/,
      short: /^\+25 % from 30 samples over 15 min; buys ~4 min at 31 MiB\/min; fits the node$/,
    },
    {
      name: 'a climb with neither a kill nor a limit it is reaching: the peak + 15 %, VPA\'s margin and krr\'s buffer',
      spec: { minutes: 30, level: climb(400, 2.5), noiseMi: 2, limitMi: 512 },
      options: node(14 * 1024),
      want: { quantity: '576Mi', restsOn: { basis: 'peak', rule: 'margin' } },
      rationale: /^its working set peaked at 4\d\d(\.\d)?Mi \(the highest of 60 samples over 30 min\); \+15 %, VPA's safety margin and krr's buffer: 576Mi; fits node/,
      short: /^\+13 % from 60 samples over 30 min; fits the node$/,
    },
    {
      name: 'a flat container well within its limit: the current limit already covers it',
      spec: { minutes: 30, level: steady(260), noiseMi: 5, limitMi: 512 },
      options: node(14 * 1024),
      want: { quantity: '512Mi', capped: false },
      rationale: /^its working set peaked at 2\d\d(\.\d)?Mi \(the highest of 60 samples over 30 min\); \+15 %, VPA's safety margin and krr's buffer: 3\d\dMi, within the current limit$/,
      short: /^the current 512Mi limit covers it$/,
    },
    {
      name: 'a heap setting that needs more wins, and says why',
      spec: { minutes: 30, level: steady(300), noiseMi: 3, limitMi: 512, killedAfterSeconds: 20 },
      options: { killedAtLimit: true, floor: { bytes: 1000 * MiB, why: 'so -Xmx stays at 75 % of the limit' }, ...node(14 * 1024) },
      want: { quantity: '1Gi', restsOn: { rule: 'floor' } },
      rationale: /; so -Xmx stays at 75 % of the limit: 1Gi; fits node/,
      short: /^\+100 % from 60 samples over 30 min; fits the node$/,
    },
  ])('$name', ({ spec, options, want, rationale, short }) => {
    const series = makeSeries(spec);
    const sizing = recommendFromCurve(series, classifyCurve(series, { killedAtLimit: options.killedAtLimit }), options)!;
    expect(sizing).toMatchObject(want);
    expect(sizing.rationale).toMatch(rationale);
    expect(sizing.short).toMatch(short);
  });

  it('has nothing to say with too few samples, so the caller keeps the +25 % rule', () => {
    const series = makeSeries({ minutes: 2, level: climb(400, 10), limitMi: 512, killedAfterSeconds: 20 });
    const curve = classifyCurve(series);
    expect(curve.kind).toBe('too-few');
    expect(recommendFromCurve(series, curve, node(14 * 1024))).toBeUndefined();
  });
});

describe('recommendFromCurve, for any curve', () => {
  const kinds = CurveKindSchema.options.filter((k) => k !== 'too-few');
  const cases = fc.record({
    kind: fc.constantFrom(...kinds),
    limitMi: fc.option(fc.integer({ min: 16, max: 64 * 1024 }), { nil: undefined }),
    requestMi: fc.option(fc.integer({ min: 0, max: 64 * 1024 }), { nil: undefined }),
    peakMi: fc.double({ min: 1, max: 64 * 1024, noNaN: true }),
    slopeMi: fc.integer({ min: -5000, max: 20_000 }).map((x) => x / 100),
    killed: fc.boolean(),
    killedAtLimit: fc.boolean(),
    capMi: fc.option(fc.integer({ min: 1, max: 128 * 1024 }), { nil: undefined }),
    floorMi: fc.option(fc.integer({ min: 1, max: 64 * 1024 }), { nil: undefined }),
    /** A warning's minutes to its limit (a series without a kill is then on course to reach it). */
    warnedMin: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined }),
  });
  const sized = (c: typeof cases extends fc.Arbitrary<infer T> ? T : never, peakMi = c.peakMi, capMi: number | null | undefined = c.capMi) => {
    const series: MemorySeries = { container: 'api', samples: [] };
    if (c.limitMi !== undefined) series.limitBytes = c.limitMi * MiB;
    if (c.requestMi !== undefined) series.requestBytes = c.requestMi * MiB;
    if (c.killed) series.killedAt = 1_800_000;
    const curve = { kind: c.kind, samples: 60, spanMinutes: 30, peakBytes: peakMi * MiB, slopeBytesPerMinute: c.slopeMi * MiB } as Curve;
    const options: CurveSizingOptions = { killedAtLimit: c.killedAtLimit, nodeCap: capMi == null ? undefined : capMi * MiB };
    if (c.floorMi !== undefined) options.floor = { bytes: c.floorMi * MiB, why: 'a heap setting' };
    if (c.warnedMin !== undefined) options.reachesLimitInMinutes = c.warnedMin;
    return recommendFromCurve(series, curve, options)!;
  };

  it('sizes a warning as the kill at the limit it is about to reach: the same size, the limit its basis', () => {
    fc.assert(
      fc.property(cases, fc.integer({ min: 1, max: 15 }), (c, inMinutes) => {
        const limited = { ...c, limitMi: c.limitMi ?? 512 };
        const warned = sized({ ...limited, killed: false, warnedMin: inMinutes });
        const kill = sized({ ...limited, killed: true, killedAtLimit: true, warnedMin: undefined });
        expect(warned.bytes).toBe(kill.bytes);
        expect(warned.capped).toBe(kill.capped);
        expect(warned.restsOn.rule).toBe(kill.restsOn.rule);
        expect(warned.rationale).not.toMatch(/when killed|the killed limit/);
        // Unless a sample or the request was already at or over the limit: then that is the basis, as for the kill.
        expect(warned.rationale).toMatch(warned.restsOn.basis === 'limit' ? new RegExp(`^it is on course to reach its \\S+ limit in ~${inMinutes} min, so it is sized as the kill there would be`) : /^its (working set peaked at|\S+ request, above)/);
      }),
      { numRuns: 500 },
    );
  });

  it('is never below the observed peak nor the current limit', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const s = sized(c);
        expect(s.bytes).toBeGreaterThanOrEqual(c.peakMi * MiB);
        expect(s.bytes).toBeGreaterThanOrEqual((c.limitMi ?? 0) * MiB);
      }),
      { numRuns: 500 },
    );
  });

  it('is never above the cap, unless what the container already has or used is', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const s = sized(c);
        const already = Math.max((c.limitMi ?? 0) * MiB, roundUpToStep(c.peakMi * MiB));
        expect(s.bytes).toBeLessThanOrEqual(c.capMi === undefined ? Infinity : Math.max(c.capMi * MiB, already));
      }),
      { numRuns: 500 },
    );
  });

  it('is capped exactly when the node stopped it short of what it wanted, and then says so', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const s = sized(c);
        const free = sized(c, c.peakMi, null);
        expect(free.capped).toBe(false);
        expect(s.capped).toBe(c.capMi !== undefined && free.bytes > c.capMi * MiB && free.bytes > (c.limitMi ?? 0) * MiB);
        // Short of what it wanted; or, where the node cannot give even what it already has or used, that much.
        expect(s.bytes).toBeLessThanOrEqual(free.bytes);
        expect(s.capped ? s.bytes < free.bytes || /the node has no room/.test(s.rationale) : s.bytes === free.bytes).toBe(true);
        expect(/capped at|the node has no room/.test(s.rationale)).toBe(s.capped);
        expect(/capped at|the node has no room/.test(s.short)).toBe(s.capped);
      }),
      { numRuns: 500 },
    );
  });

  it('grows with the peak', () => {
    fc.assert(
      fc.property(cases, fc.double({ min: 0, max: 64 * 1024, noNaN: true }), (c, more) => {
        expect(sized(c, c.peakMi + more).bytes).toBeGreaterThanOrEqual(sized(c).bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('tells a leak it raises how long the new limit lasts at its slope, and tells nothing else so', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const s = sized(c);
        const applies = c.kind === 'leak' && c.slopeMi > 0 && !s.short.startsWith('the current');
        const base = c.limitMi ? c.limitMi * MiB : c.peakMi * MiB;
        const minutes = applies ? Math.max(0, s.bytes - base) / (c.slopeMi * MiB) : 0;
        expect(s.buysTime === undefined).toBe(!applies);
        expect(Math.abs((s.buysTime?.minutes ?? minutes) - minutes)).toBeLessThan(0.5);
        expect(s.rationale.includes('a higher limit only buys time') || s.rationale.includes('a higher limit would only buy time')).toBe(applies);
      }),
      { numRuns: 500 },
    );
  });
});
