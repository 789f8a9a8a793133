// The compact form of a memory series (shared/memory-series.ts) written and read without its schemas: the forwarder
// writes it, and thins what it wrote, without loading zod (docs/architecture.md, "Budgets"). A reader of what came
// from elsewhere decodes through shared/memory-series.ts's decodeSeries, which checks the input and the result.
import type { EncodedSeries, MemorySample, MemorySeries } from './memory-series.ts';

/** 24 h at 30 s: a bound on what any cluster can make an envelope carry. */
export const MAX_SAMPLES = 2880;

export const PAGE_BYTES = 4096;

export class MemorySeriesError extends Error {
  override name = 'MemorySeriesError';
  readonly code = 'INVALID_MEMORY_SERIES';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`memory samples could not be read: ${message}; the sender must write them with encodeSeries`, options);
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DIGIT = new Map([...ALPHABET].map((ch, i) => [ch, i]));

/**
 * Writes a series in its compact form. Memory values are rounded to the nearest quantum (default one page); times are
 * whole seconds already (MemorySampleSchema). Takes the series as MemorySeriesSchema decoded it.
 */
export function encodeSeries(series: MemorySeries, quantumBytes = PAGE_BYTES): EncodedSeries {
  const q = Math.max(1, Math.round(quantumBytes));
  const samples = series.samples;
  const t0 = samples.length ? samples[0]!.at / 1000 : 0;
  let t = '';
  let w = '';
  let r = '';
  let n = '';
  let lastSecond = t0;
  let lastInterval = 0;
  let lastWorkingSet = 0;
  let lastRss = 0;
  let lastRestarts = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const second = s.at / 1000;
    if (i > 0) {
      const interval = second - lastSecond;
      t += varint(zigzag(interval - lastInterval));
      lastInterval = interval;
    }
    lastSecond = second;
    const ws = Math.round(s.workingSetBytes / q);
    w += varint(zigzag(ws - lastWorkingSet));
    lastWorkingSet = ws;
    if (s.rssBytes === undefined) r += varint(0);
    else {
      const rss = Math.round(s.rssBytes / q);
      r += varint(zigzag(rss - lastRss) + 1);
      lastRss = rss;
    }
    if (s.restarts === undefined) n += varint(0);
    else {
      n += varint(zigzag(s.restarts - lastRestarts) + 1);
      lastRestarts = s.restarts;
    }
  }
  const encoded: EncodedSeries = { v: 1, c: series.container, t0, q, t, w };
  if (samples.some((s) => s.rssBytes !== undefined)) encoded.r = r;
  if (samples.some((s) => s.restarts !== undefined)) encoded.n = n;
  if (series.limitBytes !== undefined) encoded.l = series.limitBytes;
  if (series.requestBytes !== undefined) encoded.rq = series.requestBytes;
  if (series.killedAt !== undefined) encoded.k = series.killedAt / 1000;
  return encoded;
}

/**
 * Reads back a compact form whose fields have the types EncodedSeriesSchema gives them — one this process wrote with
 * encodeSeries, or one decodeSeries has checked; throws MemorySeriesError on streams that do not hold numbers.
 */
export function decodeEncodedSeries(e: EncodedSeries): MemorySeries {
  const ws = readStream(e.w, 'w');
  const intervals = readStream(e.t, 't');
  const rss = e.r === undefined ? undefined : readStream(e.r, 'r');
  const restarts = e.n === undefined ? undefined : readStream(e.n, 'n');
  const count = ws.length;
  if (intervals.length !== Math.max(0, count - 1) || (rss && rss.length !== count) || (restarts && restarts.length !== count)) {
    throw new MemorySeriesError(`its streams disagree on the number of samples (w ${count}, t ${intervals.length}, r ${rss?.length ?? '-'}, n ${restarts?.length ?? '-'})`);
  }
  const samples: MemorySample[] = [];
  let second = e.t0;
  let interval = 0;
  let workingSet = 0;
  let lastRss = 0;
  let lastRestarts = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      interval += unzigzag(intervals[i - 1]!);
      second += interval;
    }
    workingSet += unzigzag(ws[i]!);
    const sample: MemorySample = { at: second * 1000, workingSetBytes: workingSet * e.q };
    if (rss && rss[i]! > 0) {
      lastRss += unzigzag(rss[i]! - 1);
      sample.rssBytes = lastRss * e.q;
    }
    if (restarts && restarts[i]! > 0) {
      lastRestarts += unzigzag(restarts[i]! - 1);
      sample.restarts = lastRestarts;
    }
    samples.push(sample);
  }
  const series: MemorySeries = { container: e.c, samples };
  if (e.l !== undefined) series.limitBytes = e.l;
  if (e.rq !== undefined) series.requestBytes = e.rq;
  if (e.k !== undefined) series.killedAt = e.k * 1000;
  return series;
}

// Arithmetic rather than bit operations throughout: JavaScript's are 32-bit, and a byte count in quanta can pass 2^31.
function zigzag(n: number): number {
  return n >= 0 ? 2 * n : -2 * n - 1;
}

function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

function varint(u: number): string {
  let out = '';
  do {
    const digit = u % 32;
    u = Math.floor(u / 32);
    out += ALPHABET[u > 0 ? digit + 32 : digit];
  } while (u > 0);
  return out;
}

function readStream(text: string, name: string): number[] {
  const values: number[] = [];
  let value = 0;
  let scale = 1;
  let open = false;
  for (const ch of text) {
    const d = DIGIT.get(ch);
    if (d === undefined) throw new MemorySeriesError(`stream ${name} holds "${ch}", which is not a base64url character`);
    value += (d % 32) * scale;
    scale *= 32;
    open = d >= 32;
    if (!open) {
      if (!Number.isSafeInteger(value)) throw new MemorySeriesError(`stream ${name} holds a number too large to be a sample`);
      values.push(value);
      value = 0;
      scale = 1;
    } else if (scale > 2 ** 60) throw new MemorySeriesError(`stream ${name} holds a number too large to be a sample`);
  }
  if (open) throw new MemorySeriesError(`stream ${name} ends in the middle of a number`);
  return values;
}
