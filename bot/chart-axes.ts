// The memory chart's axes: where the ticks go and what they say. Memory in the binary units Kubernetes writes
// (`512Mi`, `1.5Gi`), on steps that are powers of two so a 512Mi or 2Gi limit falls on a gridline; time in minutes
// before the kill.

export interface Tick {
  readonly value: number;
  readonly label: string;
}

const UNITS: readonly [string, number][] = [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];
const MAX_BYTE_INTERVALS = 5;
const MINUTE = 60_000;
const MINUTE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
const MAX_TIME_INTERVALS = 4;

/** A byte count as an axis label: the largest unit it reaches, up to two decimals (`768Mi`, `1.25Gi`, `0`). */
export function byteLabel(bytes: number): string {
  for (const [unit, size] of UNITS) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))}${unit}`;
  }
  return bytes === 0 ? '0' : `${Math.round(bytes)}B`;
}

/** Ticks from 0 up to `top` bytes: the smallest power-of-two step that needs at most five intervals. */
export function byteTicks(top: number): Tick[] {
  // A top past what a double holds (a series near 1.8e308, which the envelope's schema lets through) would double the
  // step forever: refuse it, and the caller's fallback (bot/chart-upload.ts) sends the sparkline instead.
  if (!Number.isFinite(top) || top < 0) throw new RangeError(`a memory axis up to ${top} bytes cannot be drawn`);
  let step = 1;
  while (top / step > MAX_BYTE_INTERVALS) step *= 2;
  const ticks: Tick[] = [];
  for (let value = 0; value <= top; value += step) ticks.push({ value, label: byteLabel(value) });
  return ticks;
}

/** A number of minutes from the reference as a label: `-30m`, `-2h`, `+1m`. */
function minuteLabel(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const size = Math.abs(minutes);
  return size >= 60 && size % 60 === 0 ? `${sign}${size / 60}h` : `${sign}${size}m`;
}

/**
 * Ticks in ms, on whole minutes before (and after) `reference`, between `from` and `to`; the reference itself is
 * labelled `referenceLabel` ("kill"). At most four intervals (their labels must fit a 480 px chart), on steps people count in (5, 10, 15, 30 min, hours).
 */
export function timeTicks(from: number, to: number, reference: number, referenceLabel: string): Tick[] {
  const spanMinutes = (to - from) / MINUTE;
  const step = MINUTE_STEPS.find((s) => spanMinutes / s <= MAX_TIME_INTERVALS) ?? Math.ceil(spanMinutes / MAX_TIME_INTERVALS / 1440) * 1440;
  const first = Math.ceil((from - reference) / MINUTE / step) * step;
  const ticks: Tick[] = [];
  for (let minutes = first; reference + minutes * MINUTE <= to; minutes += step) {
    ticks.push({ value: reference + minutes * MINUTE, label: minutes === 0 ? referenceLabel : minuteLabel(minutes) });
  }
  return ticks;
}
