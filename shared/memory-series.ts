// A container's memory over time, as the forwarder samples it before a kill (docs/domain.md §14), and the compact form
// it travels in: one JSON object of a few hundred bytes for half an hour of samples.
import * as z from 'zod';

/** 24 h at 30 s: a bound on what any cluster can make an envelope carry. */
export const MAX_SAMPLES = 2880;

export const MemorySampleSchema = z.object({
  /**
   * When it was measured, in ms since the epoch: a whole second, as metrics.k8s.io and the Summary API date their
   * samples (docs/domain.md §14). One sample per instant.
   */
  at: z.number().int().nonnegative().multipleOf(1000),
  /** The container's working set: what its limit and the kubelet's eviction judge (docs/domain.md §14). */
  workingSetBytes: z.number().nonnegative(),
  /** Its RSS, where the kubelet's Summary API was read (the opt-in nodes/proxy tier, docs/domain.md §4). */
  rssBytes: z.number().nonnegative().optional(),
  /** The container's restartCount when sampled: where it changes between two samples, the container restarted. */
  restarts: z.number().int().nonnegative().optional(),
});
export type MemorySample = z.infer<typeof MemorySampleSchema>;

export const MemorySeriesSchema = z
  .object({
    container: z.string().min(1),
    /** Oldest first, up to the kill. */
    samples: z.array(MemorySampleSchema).max(MAX_SAMPLES),
    limitBytes: z.number().positive().optional(),
    requestBytes: z.number().nonnegative().optional(),
    /** When the container was killed (ms since the epoch, a whole second like `finishedAt`), if the series leads to a kill. */
    killedAt: z.number().int().nonnegative().multipleOf(1000).optional(),
  })
  .superRefine((s, ctx) => {
    for (let i = 1; i < s.samples.length; i++) {
      if (s.samples[i]!.at <= s.samples[i - 1]!.at) {
        ctx.addIssue({ code: 'custom', path: ['samples', i, 'at'], message: 'samples must be in time order, one per instant' });
        return;
      }
    }
  });
export type MemorySeries = z.infer<typeof MemorySeriesSchema>;

/**
 * The compact form. Times are whole seconds: the first one, then each interval's change from the one before (zero for
 * a steady poll). Memory is counted in quanta of `q` bytes (a 4 KiB page by default, which the kernel counts in, so
 * real samples round-trip exactly): the first value, then each change from the previous. Every number is a
 * zigzag-signed variable-length integer written in URL-safe base64 characters, 5 bits each plus a continuation bit, so
 * a steady 30 s poll costs one character a sample and a change of a few MiB two or three. In the optional RSS and
 * restart streams 0 means "not measured" and n + 1 the zigzag change from the last measured value.
 */
export const EncodedSeriesSchema = z.object({
  v: z.literal(1),
  c: z.string().min(1),
  t0: z.number().int().nonnegative(),
  q: z.number().int().positive(),
  t: z.string(),
  w: z.string(),
  r: z.string().optional(),
  n: z.string().optional(),
  l: z.number().positive().optional(),
  rq: z.number().nonnegative().optional(),
  k: z.number().int().nonnegative().optional(),
});
export type EncodedSeries = z.infer<typeof EncodedSeriesSchema>;

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

/** Reads the compact form back; throws MemorySeriesError on anything encodeSeries could not have written. */
export function decodeSeries(input: unknown): MemorySeries {
  const parsed = EncodedSeriesSchema.safeParse(input);
  if (!parsed.success) throw new MemorySeriesError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  const e = parsed.data;
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
  const checked = MemorySeriesSchema.safeParse(series);
  if (!checked.success) throw new MemorySeriesError(checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return checked.data;
}

/** For batches and dead-letter logs: the result keeps the original input (docs/code-style.md, two parse modes). */
export function safeDecodeSeries(input: unknown): { success: true; data: MemorySeries } | { success: false; error: string; input: unknown } {
  try {
    return { success: true, data: decodeSeries(input) };
  } catch (error) {
    if (error instanceof MemorySeriesError) return { success: false, error: error.message, input };
    throw error;
  }
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
