// Working-set series shaped like what the forwarder keeps (a sample every 30 s, up to 30 min), for the chart and
// sparkline tests and bench/chart.bench.ts.
import type { ChartSample } from '../../bot/chart-series.ts';

export const Mi = 2 ** 20;
export const Gi = 2 ** 30;
export const Ti = 2 ** 40;
export const KILLED_AT = Date.UTC(2025, 0, 1, 10, 14);
const STEP_S = 30;

/**
 * A leak killed three times at its 512Mi limit: every 10 minutes the container restarts near 190Mi and climbs ~32 MiB
 * a minute, with a little noise, back to the limit; the forwarder missed three minutes of samples in the middle run.
 */
export function leakSeries(): ChartSample[] {
  let seed = 7;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 10 * Mi;
  const samples: ChartSample[] = [];
  for (let s = -30 * 60; s <= -10; s += STEP_S) {
    if (s > -17 * 60 && s < -14 * 60) continue;
    const sinceRestart = (s + 30 * 60 + 610) % 600;
    samples.push({ at: KILLED_AT + s * 1000, workingSetBytes: Math.min(190 * Mi + (sinceRestart / 600) * 320 * Mi + noise(), 511 * Mi) });
  }
  return samples;
}

/** `values` one per 30 s, the last one 10 s before the kill. */
export function samplesBeforeKill(values: readonly number[]): ChartSample[] {
  return values.map((workingSetBytes, i) => ({ at: KILLED_AT - 10_000 - (values.length - 1 - i) * STEP_S * 1000, workingSetBytes }));
}
