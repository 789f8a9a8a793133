import { describe, expect, it } from 'vitest';
import { CLIMB_BUCKET_MS, idleClimb, stepWarning, type ClimbState, type MemoryWarning } from '../../../forwarder/memory-warning.ts';
import type { MemorySample } from '#shared/memory-series.ts';
import { memoryWarningId } from '#shared/occurrence-id.ts';

const Mi = 2 ** 20;
const LIMIT = 512 * Mi;
const T = Date.UTC(2026, 10, 27, 10, 0, 0);
const WINDOW = 60; // samples kept, as the ring would at 30 s over 30 min

/**
 * Feeds the detector one sample per 30 s poll, as the sampler does, and returns every warning it gave. `from` is the
 * first poll this leader saw: one that took over then starts with no samples and no state.
 */
function run(mib: (i: number) => number, polls: number, restartsAt: (i: number) => number = () => 0, from = 0): MemoryWarning[] {
  const samples: MemorySample[] = [];
  let state: ClimbState | undefined;
  const warnings: MemoryWarning[] = [];
  for (let i = from; i < polls; i++) {
    samples.push({ at: T + i * 30_000, workingSetBytes: Math.round(mib(i) * Mi), restarts: restartsAt(i) });
    if (samples.length > WINDOW) samples.shift();
    const step = stepWarning(state, samples, LIMIT);
    state = step.state;
    if (step.warning) warnings.push(step.warning);
  }
  return warnings;
}

const idOf = (w: MemoryWarning) => memoryWarningId('c', 'uid', 'api', w.restarts, w.limitBytes, w.climb);

/** A deterministic pseudo-random wobble of up to ± 4 MiB, as metrics-server's samples show. */
const noise = (i: number) => {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return (x - Math.floor(x) - 0.5) * 8;
};

describe('stepWarning', () => {
  it('warns once about a container climbing into its limit, with the fitted slope and when it reaches the limit', () => {
    // 300 MiB rising 6 MiB a poll (12 MiB/min): 90 % (460.8 MiB) at poll 27, the limit at poll 36.
    const warnings = run((i) => 300 + 6 * i, 35);
    expect(warnings).toHaveLength(1);
    const w = warnings[0]!;
    expect(w.bytesPerMinute / Mi).toBeCloseTo(12, 5);
    expect(w.atMs).toBe(T + 27 * 30_000);
    expect(w.climbStartMs).toBe(T + 27 * 30_000);
    expect(w.workingSetBytes).toBe(462 * Mi);
    // 50 MiB of room at 12 MiB/min: 4 min 10 s.
    expect(w.reachesLimitAtMs - w.atMs).toBe(250_000);
    expect(w.limitBytes).toBe(LIMIT);
  });

  it('does not warn about a container that sits near its limit without climbing, even with noisy samples', () => {
    expect(run((i) => 490 + noise(i), 120)).toEqual([]);
    expect(run(() => 470, 120)).toEqual([]);
  });

  it('does not warn about a climb far below the limit, nor one too slow to reach it within the horizon', () => {
    expect(run((i) => 100 + 2 * i, 60)).toEqual([]); // ends at 218 MiB
    // At 92 % and 0.5 MiB a poll: 41 MiB to go at 1 MiB/min is 41 min, beyond 15.
    expect(run((i) => 470 + 0.5 * Math.min(i, 10), 40)).toEqual([]);
  });

  it('warns about a noisy climb once, its slope close to the true one', () => {
    const warnings = run((i) => 300 + 6 * i + noise(i), 36);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.bytesPerMinute / Mi).toBeGreaterThan(10);
    expect(warnings[0]!.bytesPerMinute / Mi).toBeLessThan(14);
  });

  it('warns again only after the working set fell well below the limit and climbed again', () => {
    // Climb to 500, hold (still near, no second warning), fall to 300 (re-arm), climb again.
    const shape = (i: number) => (i < 35 ? 300 + 6 * i : i < 50 ? 500 : i < 60 ? 300 : 300 + 6 * (i - 60));
    const warnings = run(shape, 95);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.climbStartMs).toBeGreaterThan(warnings[0]!.climbStartMs);
  });

  it('does not warn twice when it dips to just under the near level and climbs on', () => {
    const shape = (i: number) => (i < 30 ? 300 + 6 * i : i < 32 ? 440 : 440 + 6 * (i - 32));
    expect(run(shape, 40)).toHaveLength(1);
  });

  it('a restart starts afresh: the next run that climbs is warned again', () => {
    const shape = (i: number) => (i < 33 ? 300 + 6 * i : 300 + 6 * (i - 33));
    const warnings = run(shape, 66, (i) => (i < 33 ? 0 : 1));
    expect(warnings.map((w) => w.restarts)).toEqual([0, 1]);
  });

  it('fits only the current run: samples from before a restart do not make a climb', () => {
    // Died at 510, restarted at 470 and flat: the pairs across the restart would tilt the line, the run's own do not.
    const shape = (i: number) => (i < 20 ? 300 + 11 * i : 470);
    expect(run(shape, 40, (i) => (i < 20 ? 0 : 1)).filter((w) => w.restarts === 1)).toEqual([]);
  });

  it('a resend is the same warning: the same samples give the same climb and so the same id', () => {
    const a = run((i) => 300 + 6 * i, 35)[0]!;
    const b = run((i) => 300 + 6 * i, 35)[0]!;
    expect(idOf(a)).toBe(idOf(b));
    expect(idOf(a)).not.toBe(idOf({ ...a, restarts: a.restarts + 1 }));
    // Resized in place to a new limit, the same run climbs toward another limit: another warning.
    expect(idOf(a)).not.toBe(idOf({ ...a, limitBytes: 640 * Mi }));
  });

  describe('a leader that took over mid-climb names the climb as the one that warned it', () => {
    // Each climb is warned by the leader that saw it from the start; another takes over at `at` (a poll after that
    // warning, with nothing of the earlier samples) and warns again: the same id, so the analyzer's claim posts it once.
    const climbs: [string, (i: number) => number, number[]][] = [
      ['steady, 12 MiB/min', (i) => 300 + 6 * i, [28, 29, 30, 31]],
      ['noisy, 12 MiB/min', (i) => 300 + 6 * i + noise(i), [28, 29, 30, 31]],
      ['slow, 4 MiB/min, long near the limit', (i) => 380 + 2 * i + noise(i) / 4, [42, 45, 48, 50]],
      ['fast, 40 MiB/min', (i) => 100 + 20 * i + noise(i), [19, 20, 21]],
    ];
    it.each(climbs)('%s', (_, shape, takeovers) => {
      const first = run(shape, 60);
      expect(first).toHaveLength(1);
      for (const at of takeovers) {
        const second = run(shape, Math.min(60, at + 20), () => 0, at);
        expect([at, second.length, second[0] && second[0].atMs > first[0]!.atMs]).toEqual([at, 1, true]);
        expect([at, idOf(second[0]!)]).toEqual([at, idOf(first[0]!)]);
      }
    });
  });

  it('a climb re-armed within the bucket of the last one warned is another warning, with another id', () => {
    // Climb 60 MiB/min from 300 MiB, fall to 200 MiB (re-arm), climb again: three climbs in 12 minutes, one bucket.
    const shape = (i: number) => 300 + 30 * (i % 8) - (i % 8 === 7 ? 310 : 0);
    const warnings = run(shape, 24);
    expect(warnings).toHaveLength(3);
    expect(new Set(warnings.map((w) => Math.floor(w.atMs / CLIMB_BUCKET_MS))).size).toBe(1);
    expect(new Set(warnings.map(idOf)).size).toBe(3);
    // And a climb in a later bucket keeps its own: the same shape an hour on names its climbs from that hour.
    const later = run((i) => (i < 120 ? 200 : shape(i - 120)), 144);
    expect(later.map((w) => w.climb - later[0]!.climb)).toEqual([0, 1, 2]);
    expect(later[0]!.climb).toBe(warnings[0]!.climb + 2);
  });

  it('keeps a warned climb’s bucket after the re-arm only while a new climb could fall in it, then nothing', () => {
    const climb = Array.from({ length: 35 }, (_, i): MemorySample => ({ at: T + i * 30_000, workingSetBytes: (300 + 6 * i) * Mi, restarts: 0 }));
    let state: ClimbState | undefined;
    for (let i = 1; i <= climb.length; i++) state = stepWarning(state, climb.slice(0, i), LIMIT).state;
    expect(state).toMatchObject({ armed: false, lastClimb: Math.floor(T / CLIMB_BUCKET_MS) });
    const low = (minutes: number) => stepWarning(state, [...climb, { at: T + minutes * 60_000, workingSetBytes: 200 * Mi, restarts: 0 }], LIMIT).state;
    expect(idleClimb(low(20))).toBe(false);
    expect(low(20)).toEqual({ restarts: 0, armed: true, nearSinceMs: undefined, lastClimb: Math.floor(T / CLIMB_BUCKET_MS) });
    expect(idleClimb(low(60))).toBe(true);
  });

  it('gives nothing without a limit', () => {
    expect(stepWarning(undefined, [{ at: T, workingSetBytes: 500 * Mi }], undefined).warning).toBeUndefined();
  });
});
