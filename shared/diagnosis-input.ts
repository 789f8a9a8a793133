// What the engine diagnoses from: a pod and whatever else could be read about it. Every source but the pod is
// optional; `unavailable` says which were missing and why (shared/unseen.ts), and ends up in the verdict's `unseen`.
//
// Decoded once, where the data enters (docs/code-style.md, "Schemas and types"): the CLI's file reader
// (cli/dump-input.ts), kube/collect.ts and the envelope (shared/envelope.ts) each parse every object they read with the
// schemas below, so `diagnose` takes a `DiagnosisInput` and does not validate it again: validating a full node's 110
// pods and their events took about 2.4 ms per diagnosis, where the diagnosis itself takes under 0.1 ms
// (bench/diagnose.bench.ts). A caller holding raw input in one piece decodes it with `DiagnosisInputSchema.parse` first;
// the types leave no other way in.
import * as z from 'zod';
import { NodeMemoryUserSchema, type OccurrenceMemory } from './envelope.ts';
import { LastWordsSchema } from './last-words-schema.ts';
import { EventSchema, KubeletConfigzSchema, KubeletSummarySchema, NodeSchema, PodMetricsSchema, PodSchema } from './k8s-objects.ts';
import { MemorySeriesSchema, safeDecodeSeries } from './memory-series.ts';
import { UnseenEntrySchema, type UnseenEntry } from './unseen.ts';

/**
 * What the forwarder sampled before the death (docs/domain.md §14), decoded: the envelope carries it compact
 * (shared/envelope.ts `memory`), `memoryInput` reads it.
 */
export const MemoryInputSchema = z.object({
  /**
   * A container's working set up to the kill. Used when it is the diagnosed container's; without `killedAt`, the
   * diagnosis takes the kill from the termination's `finishedAt`, and the limit and request from the pod.
   */
  series: MemorySeriesSchema.optional(),
  /** The node's top memory users at the last sample, biggest first: who pushed the node over. */
  nodeTop: z.array(NodeMemoryUserSchema).optional(),
  /** When those were sampled (RFC 3339). */
  nodeSampledAt: z.iso.datetime({ offset: true }).optional(),
});
export type MemoryInput = z.infer<typeof MemoryInputSchema>;

export const DiagnosisInputSchema = z.object({
  pod: PodSchema,
  /** Events about the pod and its node; undefined when they could not be read (not the same as none). */
  events: z.array(EventSchema).optional(),
  node: NodeSchema.optional(),
  /** Other pods on the node, to work out what the node can still give. */
  nodePods: z.array(PodSchema).optional(),
  kubeletSummary: KubeletSummarySchema.optional(),
  kubeletConfig: KubeletConfigzSchema.optional(),
  podMetrics: PodMetricsSchema.optional(),
  /**
   * The pod's top-level owner when the caller checked the owner chain; null when it checked and the pod has none that
   * holds (a bare pod, or a forged reference). Absent: the owner is inferred from the pod's references, for display.
   */
  workload: z.object({ kind: z.string(), name: z.string() }).nullable().optional(),
  /**
   * Sources the caller could not read, each with the reason: `{ source: 'node', reason: 'not-permitted', detail }`. They
   * replace the engine's own lines about the same source. None when absent.
   */
  unavailable: z.array(UnseenEntrySchema).optional(),
  /** What the forwarder sampled before the death; absent when it sampled nothing (an envelope of version 1). */
  memory: MemoryInputSchema.optional(),
  /**
   * The log tails of dead runs whose message did not say why they died, or why each could not be read: a runtime's
   * last words (shared/last-words.ts). Only where the caller may read pods/log (opt-in, docs/domain.md §4).
   */
  lastWords: z.array(LastWordsSchema).optional(),
});
/** Decoded input: objects with the schemas' defaults filled in, as the edges produce them. */
export type DiagnosisInput = z.infer<typeof DiagnosisInputSchema>;

/**
 * The envelope's memory part as diagnosis input: the series decoded, once, where it entered. Samples this version
 * cannot read are left out and said under "Not seen"; the rest of the occurrence is diagnosed as ever.
 */
export function memoryInput(memory: OccurrenceMemory | undefined): { memory?: MemoryInput; unavailable: UnseenEntry[] } {
  if (!memory) return { unavailable: [] };
  const decoded = memory.series ? safeDecodeSeries(memory.series) : undefined;
  const out: MemoryInput = {};
  if (decoded?.success) out.series = decoded.data;
  if (memory.nodeTop) out.nodeTop = memory.nodeTop;
  if (memory.nodeSampledAt) out.nodeSampledAt = memory.nodeSampledAt;
  const unavailable: UnseenEntry[] = decoded && !decoded.success ? [{ source: 'memory-samples', reason: 'failed', detail: 'sent in a form this version cannot read' }] : [];
  return { ...(Object.keys(out).length ? { memory: out } : {}), unavailable };
}
