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
import { EventSchema, KubeletConfigzSchema, KubeletSummarySchema, NodeSchema, PodMetricsSchema, PodSchema } from './k8s-objects.ts';
import { UnseenEntrySchema } from './unseen.ts';

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
});
/** Decoded input: objects with the schemas' defaults filled in, as the edges produce them. */
export type DiagnosisInput = z.infer<typeof DiagnosisInputSchema>;
