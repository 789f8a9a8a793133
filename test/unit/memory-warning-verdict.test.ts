// A warning's Raise limit (docs/domain.md §14): sized for the limit the container is about to reach, as the kill there
// would be — not from the peak seen so far, which the climb passes minutes later — so the warning and the kill that may
// follow offer the same size, with or without a curve to read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { diagnose } from '#shared/diagnose.ts';
import { safeParseEnvelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { encodeSeries, type MemorySeries } from '#shared/memory-series.ts';
import { warningVerdict, type WarningEnvelope } from '#shared/memory-warning-verdict.ts';
import { memoryWarningId } from '#shared/occurrence-id.ts';
import type { Occurrence } from '#shared/occurrences.ts';
import { MiB } from '#shared/quantity.ts';
import { roundUpToStep } from '#shared/recommend-limit.ts';
import { container, node, pod, restartedStatus, runningStatus } from '../support/k8s-factories.ts';
import { climb, makeSeries } from '../support/memory-series.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const podOf = (limitMi: number, requestMi: number, statuses = [runningStatus('api')]): Pod =>
  pod({ uid: 'uid-1', deployment: 'cart', containers: [container({ name: 'api', limit: `${limitMi}Mi`, request: `${requestMi}Mi` })], statuses });

/** The warning the forwarder sends when `series` ends, its slope `perMinuteMi`, through JSON and analyze's parse. */
function warningOf(series: MemorySeries, perMinuteMi: number, requestMi = 128): WarningEnvelope {
  const last = series.samples.at(-1)!;
  const limitBytes = series.limitBytes!;
  const o: Occurrence = {
    kind: 'memory-warning',
    occurrenceId: memoryWarningId('prod-eu', 'uid-1', 'api', 0, limitBytes, 1),
    occurredAt: new Date(last.at).toISOString(),
    node: podOf(limitBytes / MiB, requestMi).spec.nodeName,
    podUid: 'uid-1',
    container: 'api',
    warning: { restarts: 0, climbStartedAt: new Date(last.at).toISOString(), workingSetBytes: last.workingSetBytes, limitBytes, bytesPerMinute: perMinuteMi * MiB, reachesLimitAt: new Date(last.at + ((limitBytes - last.workingSetBytes) / (perMinuteMi * MiB)) * 60_000).toISOString() },
  };
  const envelope = buildEnvelope('prod-eu', o, trimPod(podOf(limitBytes / MiB, requestMi)), [], new Date(last.at + 1000), { series: encodeSeries(series) });
  const parsed = safeParseEnvelope(JSON.parse(JSON.stringify(envelope)));
  if (!parsed.success) throw new Error(parsed.error);
  return parsed.data as WarningEnvelope;
}

/** The local demo's leak: +31 MiB/min for 15 min at 30 s, 462Mi of its 512Mi limit at the last sample. */
const leak = makeSeries({ minutes: 15, level: climb(462 - 31 * 14.5, 31), limitMi: 512, requestMi: 128 });

describe('a warning’s Raise limit', () => {
  it('is what the kill at its limit gets, said as the course it is on, with what a leak’s higher limit buys', () => {
    const v = warningVerdict(warningOf(leak, 31), null);
    // The kill that follows: the same climb two minutes on, OOM-killed at the 512Mi limit, diagnosed with its samples.
    const killAt = leak.samples.at(-1)!.at + 2 * 60_000;
    const more = [1, 2, 3].map((i) => ({ at: leak.samples.at(-1)!.at + i * 30_000, workingSetBytes: Math.min(512 * MiB, 462 * MiB + i * 15.5 * MiB), restarts: 0 }));
    const kill = diagnose({
      pod: podOf(512, 128, [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: iso(killAt) }, 1)]),
      node: node(),
      events: [],
      memory: { series: { ...leak, samples: [...leak.samples, ...more], killedAt: killAt } },
    });
    expect(kill.recommendation?.memoryLimitBytes).toBeGreaterThan(0);
    expect(v.recommendation).toMatchObject({ memoryLimit: kill.recommendation!.memoryLimit, memoryLimitBytes: kill.recommendation!.memoryLimitBytes, capped: false });
    // Not the peak seen so far + 15 %, which the climb passes within a minute or two.
    expect(v.recommendation!.memoryLimitBytes).toBeGreaterThan(roundUpToStep(462 * MiB * 1.15));
    const bytes = v.recommendation!.memoryLimitBytes!;
    const lasts = Math.round((bytes - 512 * MiB) / (31 * MiB));
    expect(v.recommendation!.rationale).toMatch(
      new RegExp(
        `^it is on course to reach its 512Mi limit in ~2 min, so it is sized as the kill there would be \\(the highest of 30 samples over 15 min so far was 46\\d(\\.\\d)?Mi\\); .*: ${v.recommendation!.memoryLimit}; the node was not seen, so check it fits; a higher limit only buys time: at 31 MiB/min, ${v.recommendation!.memoryLimit} lasts ~${lasts} min longer$`,
      ),
    );
    expect(v.recommendation!.rationale).not.toMatch(/when killed/);
  });

  it('is the same with too few samples for a curve: §6’s rule at the limit it is about to reach', () => {
    const curved = warningVerdict(warningOf(leak, 31), null);
    // 80 s at 5 s: a container warned soon after it started.
    const justStarted: MemorySeries = { ...leak, samples: leak.samples.slice(-17).map((s, i, all) => ({ ...s, at: all.at(-1)!.at - (16 - i) * 5_000 })) };
    const short = warningVerdict(warningOf(justStarted, 31), null);
    expect(short.trajectory?.curve.kind).toBe('too-few');
    expect(short.recommendation!.rationale).toMatch(/^\+\d+ % over the 512Mi limit it is about to reach, as after a kill there/);
    expect(short.recommendation!.memoryLimitBytes).toBe(curved.recommendation!.memoryLimitBytes);
  });

  it('is, for any limit, request and climb, the kill’s size at that limit whether or not a curve sizes it; never below the peak', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 16 * 1024 }), fc.double({ min: 0.05, max: 1, noNaN: true }), fc.double({ min: 1, max: 40, noNaN: true }), (limitMi, requestShare, perMinuteMi) => {
        const requestMi = Math.max(1, Math.floor(limitMi * requestShare));
        // 20 min at 30 s climbing to 92 % of the limit at the last sample.
        const series = makeSeries({ minutes: 20, level: climb(limitMi * 0.92 - perMinuteMi * 19.5, perMinuteMi), limitMi, requestMi });
        const curved = warningVerdict(warningOf(series, perMinuteMi, requestMi), null).recommendation!;
        const few: MemorySeries = { ...series, samples: series.samples.slice(-3) };
        const short = warningVerdict(warningOf(few, perMinuteMi, requestMi), null).recommendation!;
        expect(curved.memoryLimitBytes).toBe(short.memoryLimitBytes);
        expect(curved.memoryLimitBytes).toBeGreaterThan(limitMi * MiB);
        expect(curved.memoryLimitBytes).toBeGreaterThanOrEqual(Math.max(...series.samples.map((s) => s.workingSetBytes)));
      }),
      { numRuns: 100 },
    );
  });
});
