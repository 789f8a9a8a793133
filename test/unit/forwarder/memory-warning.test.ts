import { describe, expect, it } from 'vitest';
import { stepWarning, type ClimbState, type MemoryWarning } from '../../../forwarder/memory-warning.ts';
import type { MemorySample } from '#shared/memory-series.ts';
import { memoryWarningId } from '#shared/occurrence-id.ts';

const Mi = 2 ** 20;
const LIMIT = 512 * Mi;
const T = Date.UTC(2026, 10, 27, 10, 0, 0);
const WINDOW = 60; // samples kept, as the ring would at 30 s over 30 min

/** Feeds the detector one sample per 30 s poll, as the sampler does, and returns every warning it gave. */
function run(mib: (i: number) => number, polls: number, restartsAt: (i: number) => number = () => 0): MemoryWarning[] {
  const samples: MemorySample[] = [];
  let state: ClimbState | undefined;
  const warnings: MemoryWarning[] = [];
  for (let i = 0; i < polls; i++) {
    samples.push({ at: T + i * 30_000, workingSetBytes: Math.round(mib(i) * Mi), restarts: restartsAt(i) });
    if (samples.length > WINDOW) samples.shift();
    const step = stepWarning(state, samples, LIMIT);
    state = step.state;
    if (step.warning) warnings.push(step.warning);
  }
  return warnings;
}

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
    expect(memoryWarningId('c', 'uid', 'api', a.restarts, a.climbStartMs)).toBe(memoryWarningId('c', 'uid', 'api', b.restarts, b.climbStartMs));
    expect(memoryWarningId('c', 'uid', 'api', a.restarts, a.climbStartMs)).not.toBe(memoryWarningId('c', 'uid', 'api', a.restarts + 1, a.climbStartMs));
  });

  it('gives nothing without a limit', () => {
    expect(stepWarning(undefined, [{ at: T, workingSetBytes: 500 * Mi }], undefined).warning).toBeUndefined();
  });
});
