// The memory chart of an alert (issue 12 item 4): a container's working set over the sampled window, its limit and
// request, and the kill. A PNG made in-process with no native dependency (bot/raster.ts, bot/png.ts), sized to stay
// readable when Slack shrinks an image block to ~360 px: text is the 5×7 font drawn at twice its size.
import { byteLabel, byteTicks, timeTicks, type Tick } from './chart-axes.ts';
import { FONT_ASCENT, textWidth } from './bitmap-font.ts';
import { cleanSeries, peakOf, runsOf, type ChartSample } from './chart-series.ts';
import { Raster, type Colour, type Point } from './raster.ts';

export interface MemoryChartInput {
  readonly samples: readonly ChartSample[];
  readonly limitBytes?: number;
  readonly requestBytes?: number;
  /** When the container was killed (ms); the x axis counts minutes before it. Without it, before the last sample. */
  readonly killedAt?: number;
  readonly title: string;
}

export const CHART_COLOURS = {
  paper: '#ffffff',
  ink: '#111827',
  axisText: '#4b5563',
  grid: '#e5e7eb',
  axis: '#9ca3af',
  workingSet: '#2563eb',
  limit: '#dc2626',
  request: '#6b7280',
  kill: '#111827',
} as const satisfies Record<string, Colour>;

const WIDTH = 480;
const HEIGHT = 220;
const TEXT = 2;
const LINE = (FONT_ASCENT + 2) * TEXT;
const PAD = 12;
const MIN_SPAN = 5 * 60_000;
/** Between the plot and the limit's and request's values on its right: room for the kill mark at the edge. */
const VALUE_GAP = 12;
/** Room above the highest of peak, limit and request, so the limit line is not the frame's edge. */
const HEADROOM = 1.1;

export interface ChartPlan {
  readonly width: number;
  readonly height: number;
  readonly plot: { readonly left: number; readonly top: number; readonly right: number; readonly bottom: number };
  readonly from: number;
  readonly to: number;
  readonly top: number;
  readonly reference: number;
  readonly yTicks: readonly Tick[];
  readonly xTicks: readonly Tick[];
  readonly runs: readonly (readonly ChartSample[])[];
  /** Pixel x of an instant and pixel y of a byte count. */
  readonly x: (at: number) => number;
  readonly y: (bytes: number) => number;
}

/** Where everything goes; undefined when there is no usable sample. Exported for the tests, which read pixels. */
export function planMemoryChart(input: MemoryChartInput): ChartPlan | undefined {
  const series = cleanSeries(input.samples);
  if (series.length === 0) return undefined;
  const reference = input.killedAt ?? series.at(-1)!.at;
  const to = Math.max(reference, series.at(-1)!.at);
  const from = Math.min(series[0]!.at, to - MIN_SPAN);
  const top = Math.max(peakOf(series), input.limitBytes ?? 0, input.requestBytes ?? 0, 2 ** 20) * HEADROOM;
  const yTicks = byteTicks(top);
  const valueLabels = [input.limitBytes, input.requestBytes].filter((v) => v !== undefined).map(byteLabel);
  const plot = {
    left: PAD + Math.max(...yTicks.map((t) => textWidth(t.label, TEXT))) + 8,
    top: PAD + 2 * LINE + 12,
    right: WIDTH - PAD - Math.max(0, ...valueLabels.map((l) => textWidth(l, TEXT) + VALUE_GAP)),
    bottom: HEIGHT - PAD - LINE,
  };
  const x = (at: number) => plot.left + ((at - from) / (to - from)) * (plot.right - plot.left);
  const y = (bytes: number) => plot.bottom - (bytes / top) * (plot.bottom - plot.top);
  const xTicks = timeTicks(from, to, reference, input.killedAt === undefined ? 'now' : 'kill');
  return { width: WIDTH, height: HEIGHT, plot, from, to, top, reference, yTicks, xTicks, runs: runsOf(series), x, y };
}

/** The text clipped with an ellipsis to fit `width` pixels. */
function fit(text: string, width: number): string {
  if (textWidth(text, TEXT) <= width) return text;
  let cut = text;
  while (cut.length > 0 && textWidth(`${cut}...`, TEXT) > width) cut = cut.slice(0, -1);
  return `${cut}...`;
}

function drawKillMark(r: Raster, at: Point, size: number): void {
  r.stroke([{ x: at.x - size, y: at.y - size }, { x: at.x + size, y: at.y + size }], 2.5, CHART_COLOURS.kill);
  r.stroke([{ x: at.x - size, y: at.y + size }, { x: at.x + size, y: at.y - size }], 2.5, CHART_COLOURS.kill);
}

function drawLegend(r: Raster, input: MemoryChartInput, y: number): void {
  const mid = y + (FONT_ASCENT * TEXT) / 2;
  let pen = PAD;
  const entry = (swatch: (x: number) => void, label: string) => {
    swatch(pen);
    pen += 26;
    pen += r.text(label, pen, y, TEXT, CHART_COLOURS.axisText) + 18;
  };
  entry((x) => r.stroke([{ x: x + 1, y: mid }, { x: x + 19, y: mid }], 3, CHART_COLOURS.workingSet), 'working set');
  if (input.limitBytes !== undefined) entry((x) => r.dashedRule({ x: x + 1, y: mid }, { x: x + 20, y: mid }, 2, CHART_COLOURS.limit, 6, 3), 'limit');
  if (input.requestBytes !== undefined) entry((x) => r.dashedRule({ x: x + 1, y: mid }, { x: x + 20, y: mid }, 2, CHART_COLOURS.request, 6, 3), 'request');
  if (input.killedAt !== undefined) entry((x) => drawKillMark(r, { x: x + 10, y: mid }, 5), 'kill');
}

/**
 * The request and the limit as dashed lines across the plot, each with its value in its colour at the right; a
 * request so close to the limit that the labels would overlap has its label moved clear of the limit's.
 */
function drawThresholds(r: Raster, plan: ChartPlan, input: MemoryChartInput): void {
  const { plot, y } = plan;
  const labelTop = (bytes: number) => y(bytes) - (FONT_ASCENT * TEXT) / 2;
  const line = (bytes: number, colour: Colour) => r.dashedRule({ x: plot.left, y: y(bytes) }, { x: plot.right, y: y(bytes) }, 2, colour, 8, 5);
  const { limitBytes, requestBytes } = input;
  if (requestBytes !== undefined) line(requestBytes, CHART_COLOURS.request);
  if (limitBytes !== undefined) {
    line(limitBytes, CHART_COLOURS.limit);
    r.text(byteLabel(limitBytes), plot.right + VALUE_GAP, labelTop(limitBytes), TEXT, CHART_COLOURS.limit);
  }
  if (requestBytes !== undefined) {
    let top = labelTop(requestBytes);
    if (limitBytes !== undefined && Math.abs(top - labelTop(limitBytes)) < LINE) top = labelTop(limitBytes) + (requestBytes <= limitBytes ? LINE : -LINE);
    r.text(byteLabel(requestBytes), plot.right + VALUE_GAP, top, TEXT, CHART_COLOURS.request);
  }
}

/** The chart as PNG bytes; undefined when there is no usable sample to draw. */
export function renderMemoryChart(input: MemoryChartInput): Buffer | undefined {
  const plan = planMemoryChart(input);
  if (!plan) return undefined;
  const { plot, x, y } = plan;
  const r = new Raster(plan.width, plan.height, CHART_COLOURS.paper);
  const title = fit(input.title, plan.width - 2 * PAD - 1);
  // Drawn twice a pixel apart: a bold face for the title, from the same glyphs.
  for (const dx of [0, 1]) r.text(title, PAD + dx, PAD, TEXT, CHART_COLOURS.ink);
  drawLegend(r, input, PAD + LINE + 4);

  for (const tick of plan.yTicks) {
    const row = Math.round(y(tick.value));
    if (tick.value > 0) r.fillRect(plot.left, row, plot.right - plot.left, 1, CHART_COLOURS.grid);
    r.text(tick.label, plot.left - 8 - textWidth(tick.label, TEXT), row - (FONT_ASCENT * TEXT) / 2, TEXT, CHART_COLOURS.axisText);
  }
  r.fillRect(plot.left, Math.round(plot.bottom), plot.right - plot.left, 1, CHART_COLOURS.axis);
  let freeFrom = 0;
  for (const tick of plan.xTicks) {
    const column = Math.round(x(tick.value));
    const width = textWidth(tick.label, TEXT);
    const left = Math.min(plan.width - PAD - width, Math.max(PAD, column - width / 2));
    r.fillRect(column, plot.bottom + 1, 1, 4, CHART_COLOURS.axis);
    if (left < freeFrom) continue;
    r.text(tick.label, left, plot.bottom + 8, TEXT, tick.value === plan.reference ? CHART_COLOURS.ink : CHART_COLOURS.axisText);
    freeFrom = left + width + 8;
  }

  for (const run of plan.runs) r.fillUnder(run.map((s) => ({ x: x(s.at), y: y(s.workingSetBytes) })), plot.bottom, CHART_COLOURS.workingSet, 0.14);
  drawThresholds(r, plan, input);
  for (const run of plan.runs) r.stroke(run.map((s) => ({ x: x(s.at), y: y(s.workingSetBytes) })), run.length === 1 ? 9 : 2.5, CHART_COLOURS.workingSet);

  if (input.killedAt !== undefined) {
    const killX = x(input.killedAt);
    r.dashedRule({ x: killX, y: plot.top }, { x: killX, y: plot.bottom }, 1, CHART_COLOURS.kill, 3, 3);
    const last = [...plan.runs.flat()].reverse().find((s) => s.at <= input.killedAt!) ?? plan.runs[0]![0]!;
    drawKillMark(r, { x: killX, y: y(last.workingSetBytes) }, 6);
  }
  return r.toPng();
}
