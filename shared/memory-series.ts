// A container's memory over time, as the forwarder samples it before a kill (docs/domain.md §14), and the compact form
// it travels in: one JSON object of a few hundred bytes for half an hour of samples.
import * as z from 'zod';
import { decodeEncodedSeries, MAX_SAMPLES, MemorySeriesError } from './memory-series-codec.ts';

// Written and read apart from the schemas, for the forwarder (docs/architecture.md, "Budgets").
export { decodeEncodedSeries, encodeSeries, MAX_SAMPLES, MemorySeriesError, PAGE_BYTES } from './memory-series-codec.ts';

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





/** Reads the compact form back; throws MemorySeriesError on anything encodeSeries could not have written. */
export function decodeSeries(input: unknown): MemorySeries {
  const parsed = EncodedSeriesSchema.safeParse(input);
  if (!parsed.success) throw new MemorySeriesError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  const series = decodeEncodedSeries(parsed.data);
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

