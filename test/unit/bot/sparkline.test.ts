// The one-line fallback for the memory chart: series in, the exact line out.
import { describe, expect, it } from 'vitest';
import { barFor, sparkline } from '../../../bot/sparkline.ts';
import type { ChartSample } from '../../../bot/chart-series.ts';

const Mi = 2 ** 20;
const Ti = 2 ** 40;
const T0 = Date.UTC(2025, 0, 1, 10, 0);
/** Samples `seconds` apart from T0, one per value. */
const every = (seconds: number, values: readonly number[], start = 0): ChartSample[] => values.map((v, i) => ({ at: T0 + (start + i * seconds) * 1000, workingSetBytes: v }));

describe('sparkline', () => {
  const cases: { name: string; samples: ChartSample[]; width: number; limit?: number; want: string | undefined }[] = [
    { name: 'a climb to the limit fills the bars in eighths of the limit', samples: every(30, [1, 2, 3, 4, 5, 6, 7, 8].map((i) => i * 64 * Mi)), width: 30, limit: 512 * Mi, want: '▁▂▃▄▅▆▇█ peak 512Mi of 512Mi' },
    { name: 'without a limit the peak is the full bar', samples: every(30, [128, 256, 384, 512].map((v) => v * Mi)), width: 30, want: '▂▄▆█ peak 512Mi' },
    { name: 'each character shows the highest sample of its slice', samples: every(30, Array.from({ length: 16 }, (_, i) => (i + 1) * 32 * Mi)), width: 8, limit: 512 * Mi, want: '▁▂▃▄▅▆▇█ peak 512Mi of 512Mi' },
    { name: 'a gap in sampling is blank, never low memory', samples: [...every(60, [256, 256, 256, 256].map((v) => v * Mi)), ...every(60, [256, 256, 256, 256].map((v) => v * Mi), 420)], width: 30, limit: 512 * Mi, want: '▄▄▄▄   ▄▄▄▄ peak 256Mi of 512Mi' },
    { name: 'one late sample is not a gap: the slice it skipped takes the line between its neighbours', samples: [...every(60, [64, 128, 192, 256, 320].map((v) => v * Mi)), { at: T0 + 360_000, workingSetBytes: 448 * Mi }], width: 30, limit: 512 * Mi, want: '▁▂▃▄▅▆▇ peak 448Mi of 512Mi' },
    { name: 'all equal values without a limit are full bars', samples: every(30, [100, 100, 100, 100, 100].map((v) => v * Mi)), width: 30, want: '█████ peak 100Mi' },
    { name: 'one sample is one bar', samples: every(30, [300 * Mi]), width: 30, limit: 512 * Mi, want: '▅ peak 300Mi of 512Mi' },
    { name: 'huge values are said in Ti', samples: every(30, [0.25, 0.5, 1, 2].map((v) => v * Ti)), width: 30, limit: 2 * Ti, want: '▁▂▄█ peak 2Ti of 2Ti' },
    { name: 'a peak above the limit is the full bar and the limit is still said', samples: every(30, [256, 530].map((v) => v * Mi)), width: 30, limit: 512 * Mi, want: '▄█ peak 530Mi of 512Mi' },
    { name: 'unusable samples are left out, and where they were is a gap', samples: [...every(30, [128 * Mi, 128 * Mi, Number.NaN, -1, 256 * Mi, 256 * Mi]), { at: Number.NaN, workingSetBytes: 512 * Mi }], width: 30, limit: 512 * Mi, want: '▂▂  ▄▄ peak 256Mi of 512Mi' },
    { name: 'no sample, no line', samples: [], width: 30, limit: 512 * Mi, want: undefined },
  ];
  it.each(cases)('$name', ({ samples, width, limit, want }) => {
    expect(sparkline(samples, { width, limitBytes: limit })).toBe(want);
  });

  it('never writes more bars than asked for, however many samples', () => {
    const line = sparkline(every(30, Array.from({ length: 60 }, (_, i) => (200 + i * 5) * Mi)), { width: 12, limitBytes: 512 * Mi })!;
    expect(line.split(' ')[0]).toHaveLength(12);
  });
});

describe('barFor', () => {
  const cases: [number, string][] = [[0, '▁'], [1, '▁'], [63, '▁'], [64, '▁'], [96, '▂'], [256, '▄'], [447, '▇'], [480, '█'], [512, '█']];
  it.each(cases)('%i of 512 is %s', (value, bar) => {
    expect(barFor(value, 512)).toBe(bar);
  });
});
