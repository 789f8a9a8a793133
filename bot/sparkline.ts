// The memory chart in one line of text, for the alert's context block when no image can be shown (issue 12 item 4:
// no upload scope, or the upload failed): "▁▂▃▅▆▇█ peak 498Mi of 512Mi".
import { formatBytes } from '#shared/quantity.ts';
import { cleanSeries, gapThreshold, peakOf, typicalInterval, type ChartSample } from './chart-series.ts';

const BARS = '▁▂▃▄▅▆▇█';
/** Where sampling stopped: a blank, so a gap never reads as low memory. */
const GAP = ' ';

export interface SparklineOptions {
  /** Characters in the line, at most; fewer when the span holds fewer sampling intervals. */
  readonly width: number;
  /** The bars are scaled to the limit when there is one, so a full bar means "at the limit". */
  readonly limitBytes?: number;
}

/**
 * The value of each of `width` equal slices of the series' time span: the highest sample inside, or where none fell
 * inside but the slice lies between two samples that are not a gap apart, the line between them; undefined in a gap.
 */
function sliceValues(series: readonly ChartSample[], width: number): (number | undefined)[] {
  const from = series[0]!.at;
  const span = series.at(-1)!.at - from;
  const threshold = gapThreshold(series);
  const values: (number | undefined)[] = Array.from({ length: width }, () => undefined);
  for (const s of series) {
    const i = span === 0 ? 0 : Math.min(width - 1, Math.floor(((s.at - from) / span) * width));
    values[i] = Math.max(values[i] ?? 0, s.workingSetBytes);
  }
  return values.map((value, i) => {
    if (value !== undefined) return value;
    const middle = from + ((i + 0.5) / width) * span;
    const next = series.findIndex((s) => s.at > middle);
    const [a, b] = [series[next - 1]!, series[next]!];
    return b.at - a.at > threshold ? undefined : a.workingSetBytes + ((b.workingSetBytes - a.workingSetBytes) * (middle - a.at)) / (b.at - a.at);
  });
}

/** The bar for `bytes` out of `scale`: eighths, rounded, with anything at all drawn as at least the lowest bar. */
export function barFor(bytes: number, scale: number): string {
  const eighths = scale > 0 ? Math.round((bytes / scale) * BARS.length) : 0;
  return BARS[Math.max(0, Math.min(BARS.length, eighths) - 1)]!;
}

/**
 * The series as bars, then its peak and the limit in words ("peak 498Mi of 512Mi", or "peak 498Mi" without a limit).
 * Undefined when there is no usable sample.
 */
export function sparkline(samples: readonly ChartSample[], options: SparklineOptions): string | undefined {
  const series = cleanSeries(samples);
  if (series.length === 0) return undefined;
  const peak = peakOf(series);
  const { limitBytes } = options;
  const scale = Math.max(peak, limitBytes ?? 0);
  // No more characters than sampling intervals in the span: more would only repeat samples.
  const interval = typicalInterval(series);
  const intervals = interval === undefined ? 0 : Math.round((series.at(-1)!.at - series[0]!.at) / interval);
  const width = Math.max(1, Math.min(Math.floor(options.width), intervals + 1));
  const bars = sliceValues(series, width).map((v) => (v === undefined ? GAP : barFor(v, scale))).join('');
  return `${bars} peak ${formatBytes(peak)}${limitBytes === undefined ? '' : ` of ${formatBytes(limitBytes)}`}`;
}
