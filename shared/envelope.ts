// The wire contract on EventBridge (docs/architecture.md, "Contracts outsiders rely on"): one versioned envelope,
// written once, into which each occurrence kind plugs its own fields. `Detail` carries it; `DetailType` names the kind;
// `Time` is when it happened.
import * as z from 'zod';
import { EventSchema, PodSchema } from './k8s-objects.ts';

export const ENVELOPE_VERSION = 1;
export const DEFAULT_SOURCE = 'oombot.forwarder';

export const OccurrenceKindSchema = z.enum(['container-termination', 'pod-eviction', 'node-oom']);
export type OccurrenceKind = z.infer<typeof OccurrenceKindSchema>;

/** EventBridge `DetailType` per kind: what a rule pattern matches on. */
export const DETAIL_TYPES: Record<OccurrenceKind, string> = {
  'container-termination': 'Container Memory Termination',
  'pod-eviction': 'Pod Eviction',
  'node-oom': 'Node OOM',
};

const base = {
  version: z.literal(ENVELOPE_VERSION),
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

export const EnvelopeSchema = z.discriminatedUnion('kind', [
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
]);
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** For batches and dead-letter logs: the result keeps the original input (docs/code-style.md, two parse modes). */
export function safeParseEnvelope(input: unknown): { success: true; data: Envelope } | { success: false; error: string; input: unknown } {
  const result = EnvelopeSchema.safeParse(input);
  if (result.success) return { success: true, data: result.data };
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return { success: false, error: issues, input };
}
