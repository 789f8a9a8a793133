// The memory chart as a PNG: decoded back to pixels (test/support/png-decode.ts) to check that each thing is drawn
// where its value says — the limit on the limit's row, the working set at each sample, the kill in its column.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHART_COLOURS, planMemoryChart, renderMemoryChart, type ChartPlan, type MemoryChartInput } from '../../../bot/memory-chart.ts';
import { decodePng, type DecodedPng } from '../../support/png-decode.ts';
import { Gi, KILLED_AT, leakSeries, Mi, samplesBeforeKill, Ti } from '../../support/memory-samples.ts';

const leak: MemoryChartInput = { samples: leakSeries(), limitBytes: 512 * Mi, requestBytes: 256 * Mi, killedAt: KILLED_AT, title: 'checkout › api · memory before the kill' };

function draw(input: MemoryChartInput): { png: Buffer; plan: ChartPlan; image: DecodedPng } {
  const png = renderMemoryChart(input)!;
  return { png, plan: planMemoryChart(input)!, image: decodePng(png) };
}

/** Every pixel inside the plot (its frame included) of exactly `colour`, as [x, y]. */
function plotPixels({ plan, image }: { plan: ChartPlan; image: DecodedPng }, colour: string): [number, number][] {
  const found: [number, number][] = [];
  for (let y = Math.floor(plan.plot.top); y <= Math.ceil(plan.plot.bottom); y++) {
    for (let x = Math.floor(plan.plot.left); x <= Math.ceil(plan.plot.right); x++) if (image.hex(x, y) === colour) found.push([x, y]);
  }
  return found;
}

function allPixels(image: DecodedPng, colour: string): number {
  let count = 0;
  for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) if (image.hex(x, y) === colour) count++;
  return count;
}

/** Whether `colour` is within `radius` pixels of (x, y). */
function near(image: DecodedPng, x: number, y: number, colour: string, radius = 1): boolean {
  for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) if (image.hex(Math.floor(x) + dx, Math.floor(y) + dy) === colour) return true;
  return false;
}

describe('renderMemoryChart', () => {
  it('throws, not hangs, on a series near the largest double (the headroom above it overflows to Infinity)', () => {
    const huge = leak.samples.map((s) => ({ ...s, workingSetBytes: Number.MAX_VALUE }));
    expect(() => renderMemoryChart({ ...leak, samples: huge })).toThrow(RangeError);
  });

  it('makes a PNG: signature, a 480×220 IHDR, then IDAT and IEND, every CRC right', () => {
    const { png, image } = draw(leak);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.readUInt32BE(16)).toBe(480);
    expect(png.readUInt32BE(20)).toBe(220);
    expect(image.chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(png.length).toBeLessThan(20_000);
    const out = path.join(import.meta.dirname, '../../../test-output');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'memory-chart-leak.png'), png);
  });

  it('draws the limit as a dashed red line on the row of its value, and nowhere else in the plot', () => {
    const chart = draw(leak);
    const red = plotPixels(chart, CHART_COLOURS.limit);
    const row = chart.plan.y(512 * Mi);
    expect(red.every(([, y]) => Math.abs(y + 0.5 - row) <= 1)).toBe(true);
    const columns = new Set(red.map(([x]) => x)).size / (chart.plan.plot.right - chart.plan.plot.left);
    expect(columns).toBeGreaterThan(0.4); // a line across the plot…
    expect(columns).toBeLessThan(0.9); // …with gaps in it
  });

  it('draws the request as a dashed grey line on the row of its value', () => {
    const chart = draw(leak);
    const grey = plotPixels(chart, CHART_COLOURS.request);
    expect(grey.length).toBeGreaterThan(100);
    expect(grey.every(([, y]) => Math.abs(y + 0.5 - chart.plan.y(256 * Mi)) <= 1)).toBe(true);
  });

  it('draws the working set through every sample, tinted down to the axis', () => {
    const { plan, image } = draw(leak);
    for (const s of leak.samples) expect(near(image, plan.x(s.at), plan.y(s.workingSetBytes), CHART_COLOURS.workingSet), `sample at ${s.at}`).toBe(true);
    const under = image.hex(Math.round(plan.x(leak.samples[10]!.at)), Math.round(plan.plot.bottom) - 3);
    expect(under).not.toBe(CHART_COLOURS.paper);
    expect(Number.parseInt(under.slice(5), 16)).toBeGreaterThan(Number.parseInt(under.slice(1, 3), 16)); // bluish
  });

  it('marks the kill: a dotted line down its column and an ✕ at the last working set, nothing of that colour elsewhere in the plot', () => {
    const chart = draw(leak);
    const { plan, image } = chart;
    const killX = plan.x(KILLED_AT);
    const last = leak.samples.at(-1)!;
    expect(near(image, killX, plan.y(last.workingSetBytes), CHART_COLOURS.kill, 2)).toBe(true);
    expect(plotPixels(chart, CHART_COLOURS.kill).every(([x]) => Math.abs(x + 0.5 - killX) <= 8)).toBe(true);
    const column = Math.floor(killX);
    let dark = 0;
    for (let y = Math.ceil(plan.plot.top); y < plan.plot.bottom; y++) if (Number.parseInt(image.hex(column, y).slice(1, 3), 16) < 200) dark++;
    expect(dark).toBeGreaterThan((plan.plot.bottom - plan.plot.top) / 4);
    expect(plan.xTicks.map((t) => t.label)).toEqual(['-30m', '-20m', '-10m', 'kill']);
  });

  it('leaves a gap in sampling blank: no line and no tint between the runs', () => {
    const { plan, image } = draw(leak);
    expect(plan.runs).toHaveLength(2);
    const [before, after] = [plan.runs[0]!.at(-1)!, plan.runs[1]![0]!];
    for (let x = Math.ceil(plan.x(before.at)) + 3; x < plan.x(after.at) - 3; x++) {
      for (let y = Math.ceil(plan.plot.top); y < plan.plot.bottom - 1; y++) {
        expect(image.hex(x, y), `(${x}, ${y})`).not.toBe(CHART_COLOURS.workingSet);
      }
      expect(image.hex(x, Math.round(plan.plot.bottom) - 3)).toBe(CHART_COLOURS.paper);
    }
  });

  it('without a limit or request draws no red and no grey line', () => {
    const { image } = draw({ ...leak, limitBytes: undefined, requestBytes: undefined });
    expect(allPixels(image, CHART_COLOURS.limit)).toBe(0);
    expect(allPixels(image, CHART_COLOURS.request)).toBe(0);
  });

  it('draws a lone sample as a dot at its value', () => {
    const input = { samples: samplesBeforeKill([300 * Mi]), killedAt: KILLED_AT, title: 'one sample' };
    const chart = draw(input);
    const [s] = input.samples;
    expect(near(chart.image, chart.plan.x(s!.at), chart.plan.y(300 * Mi), CHART_COLOURS.workingSet)).toBe(true);
    expect(plotPixels(chart, CHART_COLOURS.workingSet).length).toBeGreaterThan(9);
  });

  it('draws equal values as one flat line', () => {
    const chart = draw({ samples: samplesBeforeKill(Array.from({ length: 20 }, () => 200 * Mi)), killedAt: KILLED_AT, title: 'flat' });
    const rows = new Set(plotPixels(chart, CHART_COLOURS.workingSet).map(([, y]) => y));
    expect([...rows].every((y) => Math.abs(y + 0.5 - chart.plan.y(200 * Mi)) <= 1.5)).toBe(true);
    expect(chart.plan.yTicks.map((t) => t.label)).toEqual(['0', '64Mi', '128Mi', '192Mi']);
  });

  it('labels huge values in Ti and still puts the limit on its row', () => {
    const input = { samples: samplesBeforeKill([0.5, 1, 1.5, 1.9].map((v) => v * Ti)), limitBytes: 2 * Ti, killedAt: KILLED_AT, title: 'huge' };
    const chart = draw(input);
    expect(chart.plan.yTicks.map((t) => t.label)).toEqual(['0', '512Gi', '1Ti', '1.5Ti', '2Ti']);
    expect(plotPixels(chart, CHART_COLOURS.limit).every(([, y]) => Math.abs(y + 0.5 - chart.plan.y(2 * Ti)) <= 1)).toBe(true);
  });

  it('counts minutes before the last sample when there is no kill', () => {
    const plan = planMemoryChart({ samples: samplesBeforeKill([1, 2, 3].map((v) => v * Gi)), title: 'warning' })!;
    expect(plan.xTicks.map((t) => t.label)).toEqual(['-4m', '-2m', 'now']);
  });

  it('has nothing to draw without a usable sample', () => {
    expect(renderMemoryChart({ samples: [], title: 'none' })).toBeUndefined();
    expect(renderMemoryChart({ samples: [{ at: KILLED_AT, workingSetBytes: Number.NaN }], title: 'none' })).toBeUndefined();
  });
});
