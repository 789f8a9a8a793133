// The envelope's numbers and names (shared/envelope.ts has its schema), apart from zod: the forwarder writes envelopes
// with these and loads no schema (docs/architecture.md, "Budgets"); the backend checks what arrives with the schema.
import type { OccurrenceKind } from './envelope.ts';

/**
 * Version 1: the occurrence and what the forwarder held about it. Version 2 adds `memory`: what the forwarder sampled
 * before the death (docs/domain.md §14). The forwarder writes version 2 only when it has memory to carry, so a reader
 * that knows only version 1 keeps reading every envelope without samples and rejects, by version, those with them.
 */
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_VERSION_WITH_MEMORY = 2;
export const ENVELOPE_VERSIONS = [ENVELOPE_VERSION, ENVELOPE_VERSION_WITH_MEMORY] as const;
export const DEFAULT_SOURCE = 'oombot.forwarder';

/** EventBridge `DetailType` per kind: what a rule pattern matches on. */
export const DETAIL_TYPES: Record<OccurrenceKind, string> = {
  'container-termination': 'Container Memory Termination',
  'pod-eviction': 'Pod Eviction',
  'node-oom': 'Node OOM',
  'memory-warning': 'Container Memory Warning',
};

/** At most this many of a node's top users travel: enough to name who pushed it over, small under PutEvents' 256 KB. */
export const MAX_NODE_MEMORY_USERS = 10;
