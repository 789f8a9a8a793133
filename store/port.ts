// The backend's memory, as a port (docs/code-style.md): DynamoDB in AWS (store/dynamo.ts), an embedded store in local
// mode. What analyze needs to post each occurrence once and keep repeats quiet; the Slack app adds mutes and audit
// records.

import * as z from 'zod';
import { CauseSchema, KindSchema, VerdictSchema } from '#shared/verdict.ts';

export const MessageRefSchema = z.object({ channel: z.string(), ts: z.string() });
export type MessageRef = z.infer<typeof MessageRefSchema>;

/** The first message of a repeat group, with what is needed to update its counter later. */
export interface GroupMessage extends MessageRef {
  /** The root message's blocks as posted (JSON), to re-post with an updated counter. */
  blocks?: string;
  text?: string;
}

export type Claim = 'claimed' | 'duplicate';

export interface RepeatGroup {
  /** This occurrence's place in the group: 1 for the first. */
  count: number;
  /** When the group's first occurrence was recorded (ms). */
  firstAt: number;
  /** The first alert's message, once it has been posted. */
  message?: GroupMessage;
}

/** What was posted about an occurrence: what `/oom recent` lists and what the alert's buttons act on (by id). */
export const IncidentSchema = z.object({
  incidentId: z.string(),
  occurrenceId: z.string(),
  cluster: z.string(),
  namespace: z.string(),
  /** A WorkloadRef's key (kube/workloads.ts): "Deployment/checkout", or "Pod/<name>" for a bare pod. */
  workload: z.string(),
  container: z.string().nullable(),
  cause: CauseSchema,
  kind: KindSchema,
  headline: z.string(),
  occurredAt: z.string(),
  message: MessageRefSchema,
  /** What was diagnosed, so a button acts on it without trusting its own payload. */
  verdict: VerdictSchema,
});
export type Incident = z.infer<typeof IncidentSchema>;

/**
 * An incident as the stores keep it: the verdict as JSON text in one attribute (DynamoDB item, state file). Decoded
 * once, here, by each adapter — callers hold an Incident whose verdict is checked, never a string to parse and cast.
 */
export const IncidentRecordSchema = IncidentSchema.extend({
  // Loose where the record is only carried (a whole state file must load even if one record does not decode);
  // decodeIncident checks them with the verdict's own vocabulary on every read.
  cause: z.string(),
  kind: z.string(),
  verdict: z.string(),
});
export type IncidentRecord = z.infer<typeof IncidentRecordSchema>;

const StoredIncidentSchema = IncidentSchema.extend({
  verdict: z.string().transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text);
      return value;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not JSON' });
      return z.NEVER;
    }
  }).pipe(VerdictSchema),
});

export class StoredRecordError extends Error {
  override name = 'StoredRecordError';
  readonly code = 'STORED_RECORD_INVALID';
}

/** A stored incident, checked; throws StoredRecordError naming what is wrong with it. */
export function decodeIncident(item: unknown): Incident {
  const parsed = StoredIncidentSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  const id = typeof item === 'object' && item && 'incidentId' in item ? String((item as { incidentId: unknown }).incidentId) : '(no id)';
  throw new StoredRecordError(`the stored incident ${id} does not read as one: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
}

/** The stored form of an incident: exactly its fields, the verdict as JSON text. */
export function encodeIncident(incident: Incident): IncidentRecord {
  const { incidentId, occurrenceId, cluster, namespace, workload, container, cause, kind, headline, occurredAt, message, verdict } = incident;
  return { incidentId, occurrenceId, cluster, namespace, workload, container, cause, kind, headline, occurredAt, message: { channel: message.channel, ts: message.ts }, verdict: JSON.stringify(verdict) };
}

/** Who changed what, from what, to what: every change a button makes is answered in the thread and kept here. */
export interface AuditRecord {
  incidentId: string;
  cluster: string;
  userId: string;
  action: string;
  target: string;
  before: string;
  after: string;
  at: string;
}

export interface Store {
  /**
   * Claims an occurrence for posting. 'duplicate' when it was claimed before: EventBridge delivers at least once and
   * the forwarder resends, so this conditional write is what keeps Slack exactly-once.
   */
  claimOccurrence(occurrenceId: string, now: number): Promise<Claim>;
  /** Gives a claim back when posting failed, so the retry EventBridge makes can post it. */
  releaseOccurrence(occurrenceId: string): Promise<void>;
  markOccurrencePosted(occurrenceId: string, message: MessageRef): Promise<void>;
  /**
   * Counts an occurrence into its repeat group (same workload, container and cause) within a window: the first opens a
   * group, later ones within `windowMs` of the last join it. Atomic under concurrency: counts are never shared. With
   * an occurrence id, an occurrence counted before (a retry after a failed post) gets its earlier place again.
   */
  recordRepeat(groupKey: string, now: number, windowMs: number, occurrenceId?: string): Promise<RepeatGroup>;
  /** The group's first message, once set (for a repeat that arrived while the first was being posted). */
  repeatMessage(groupKey: string): Promise<GroupMessage | undefined>;
  /** Remembers where the group's first alert was posted, for thread replies and counter updates. */
  setRepeatMessage(groupKey: string, message: GroupMessage): Promise<void>;
  /** Replaces the group's root blocks once it was redrawn (a handled alert), so counter updates keep what it shows. */
  replaceRepeatBlocks(groupKey: string, blocks: string): Promise<void>;
  /**
   * Takes the group's counter-update slot when the last update is at least `minIntervalMs` old: a storm updates its
   * root message every few seconds, not once per occurrence (chat.update is rate-limited too).
   */
  claimCounterUpdate(groupKey: string, now: number, minIntervalMs: number): Promise<boolean>;
  recordIncident(incident: Incident): Promise<void>;
  incident(incidentId: string): Promise<Incident | undefined>;
  /** The latest incidents of a cluster, newest first, optionally of one namespace. */
  recentIncidents(cluster: string, options?: { namespace?: string; limit?: number }): Promise<Incident[]>;
  recordAudit(record: AuditRecord): Promise<void>;
  auditTrail(incidentId: string): Promise<AuditRecord[]>;
  muteUntil(key: string, now: number): Promise<number | undefined>;
  mute(key: string, until: number, by: string): Promise<void>;
  unmute(key: string): Promise<void>;
}
