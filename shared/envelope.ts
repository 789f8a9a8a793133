// The wire contract on EventBridge (docs/architecture.md, "Contracts outsiders rely on"): one versioned envelope,
// written once, into which each occurrence kind plugs its own fields. `Detail` carries it; `DetailType` names the kind;
// `Time` is when it happened.
import * as z from 'zod';
import { EventSchema, PodSchema } from './k8s-objects.ts';
import { ENVELOPE_VERSION, ENVELOPE_VERSION_WITH_MEMORY, MAX_NODE_MEMORY_USERS } from './envelope-constants.ts';
import { EncodedSeriesSchema } from './memory-series.ts';

// Its numbers and names are kept apart from zod, for the forwarder (docs/architecture.md, "Budgets").
export { DEFAULT_SOURCE, DETAIL_TYPES, ENVELOPE_VERSION, ENVELOPE_VERSION_WITH_MEMORY, ENVELOPE_VERSIONS, MAX_NODE_MEMORY_USERS } from './envelope-constants.ts';

export const OccurrenceKindSchema = z.enum(['container-termination', 'pod-eviction', 'node-oom', 'memory-warning']);
export type OccurrenceKind = z.infer<typeof OccurrenceKindSchema>;

/**
 * Before the kill (forwarder/memory-warning.ts): a container near its limit whose fitted slope reaches it within the
 * forwarder's horizon. Always version 2, its curve in `memory.series`.
 */
export const MemoryWarningFactsSchema = z.object({
  /** The container's restartCount: which run of it is climbing. */
  restarts: z.number().int().nonnegative(),
  /** When this climb reached the near level (RFC 3339): with pod, container and run it names the warning. */
  climbStartedAt: z.iso.datetime({ offset: true }),
  workingSetBytes: z.number().nonnegative(),
  limitBytes: z.number().positive(),
  /** The fitted slope (Theil–Sen over the recent samples of this run). */
  bytesPerMinute: z.number(),
  /** When the fitted line reaches the limit (RFC 3339). */
  reachesLimitAt: z.iso.datetime({ offset: true }),
});
export type MemoryWarningFacts = z.infer<typeof MemoryWarningFactsSchema>;

/** One of the node's biggest memory users at the forwarder's last sample before a node-wide kill or eviction. */
export const NodeMemoryUserSchema = z.object({
  namespace: z.string().min(1),
  pod: z.string().min(1),
  container: z.string().min(1),
  workingSetBytes: z.number().nonnegative(),
  /** Its memory request, when it has one: who used most above their request is who pushed the node over. */
  requestBytes: z.number().nonnegative().optional(),
});
export type NodeMemoryUser = z.infer<typeof NodeMemoryUserSchema>;

export const OccurrenceMemorySchema = z.object({
  /** The dead (or evicted) container's working set up to the kill, compact (shared/memory-series.ts). */
  series: EncodedSeriesSchema.optional(),
  /** For node pressure: the node's top memory users at the last sample, biggest first. */
  nodeTop: z.array(NodeMemoryUserSchema).max(MAX_NODE_MEMORY_USERS).optional(),
  /** When the node's top users were sampled (RFC 3339). */
  nodeSampledAt: z.iso.datetime({ offset: true }).optional(),
});
export type OccurrenceMemory = z.infer<typeof OccurrenceMemorySchema>;

const base = {
  version: z.union([z.literal(ENVELOPE_VERSION), z.literal(ENVELOPE_VERSION_WITH_MEMORY)]),
  /** Version 2 only: what the forwarder sampled before the death. */
  memory: OccurrenceMemorySchema.optional(),
  /** Derived from what happened, never from when it was seen: a resend carries the same id. */
  occurrenceId: z.string().min(1),
  cluster: z.string().min(1),
  /** When it happened (RFC 3339). */
  occurredAt: z.iso.datetime({ offset: true }),
  /** When the forwarder saw it, for lag. */
  observedAt: z.iso.datetime({ offset: true }),
  node: z.string().optional(),
  /** Related events the forwarder held when it saw this (small, bounded, newest last). */
  events: z.array(EventSchema).default([]),
};

const EnvelopeKindsSchema = z.discriminatedUnion('kind', [
  z.object({
    ...base,
    kind: z.literal('container-termination'),
    pod: PodSchema,
    container: z.string(),
    /** Which termination of the container this is: restartCount at the time it ended. */
    terminationIndex: z.number().int().nonnegative(),
  }),
  z.object({ ...base, kind: z.literal('pod-eviction'), pod: PodSchema }),
  z.object({ ...base, kind: z.literal('node-oom'), event: EventSchema }),
  z.object({ ...base, kind: z.literal('memory-warning'), pod: PodSchema, container: z.string().min(1), warning: MemoryWarningFactsSchema }),
]);

export const EnvelopeSchema = EnvelopeKindsSchema.superRefine((e, ctx) => {
  if (e.memory && e.version !== ENVELOPE_VERSION_WITH_MEMORY) {
    ctx.addIssue({ code: 'custom', path: ['version'], message: `an envelope that carries memory is version ${ENVELOPE_VERSION_WITH_MEMORY}` });
  }
  if (e.kind === 'memory-warning' && (e.version !== ENVELOPE_VERSION_WITH_MEMORY || !e.memory?.series)) {
    ctx.addIssue({ code: 'custom', path: ['memory', 'series'], message: `a memory warning is version ${ENVELOPE_VERSION_WITH_MEMORY} and carries its curve` });
  }
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** For batches and dead-letter logs: the result keeps the original input (docs/code-style.md, two parse modes). */
export function safeParseEnvelope(input: unknown): { success: true; data: Envelope } | { success: false; error: string; input: unknown } {
  const result = EnvelopeSchema.safeParse(input);
  if (result.success) return { success: true, data: result.data };
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return { success: false, error: issues, input };
}
